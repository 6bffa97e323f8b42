// Postgres array literals for passing a whole batch as a few array parameters
// (INSERT ... SELECT * FROM unnest($1::text[], $2::uuid[], ...)): one statement per table and batch,
// planned once, with no SQL built from data.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace edfleet::analytics::pg_array {

// Builds "{e1,e2,...}" element by element. Text elements are always quoted, with '"' and '\'
// backslash-escaped, which is the array input syntax for any element type.
class Builder {
 public:
  Builder() { text_.push_back('{'); }

  Builder& add(std::string_view value) {
    separator();
    text_.push_back('"');
    for (char c : value) {
      if (c == '"' || c == '\\') text_.push_back('\\');
      text_.push_back(c);
    }
    text_.push_back('"');
    return *this;
  }

  Builder& add(std::int64_t value) {
    separator();
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    text_.append(buffer, end);
    return *this;
  }

  // Shortest text that reads back to the same double.
  Builder& add(double value) {
    separator();
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (ec != std::errc{}) {
      text_.append("0");
    } else {
      text_.append(buffer, end);
    }
    return *this;
  }

  std::string str() const { return text_ + '}'; }

 private:
  void separator() {
    if (text_.size() > 1) text_.push_back(',');
  }
  std::string text_;
};

}  // namespace edfleet::analytics::pg_array
