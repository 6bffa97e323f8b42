#include "event_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace edfleet::cli {

namespace {

std::string describe(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    default: return "a number";
  }
}

}  // namespace

core::Result<std::vector<EventText>> split_events(std::string_view text) {
  std::vector<EventText> events;
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return events;   // empty input: nothing to publish

  // One JSON value (an object or an array) is tried first; anything else is JSON Lines.
  auto whole = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!whole.is_discarded()) {
    if (whole.is_object()) {
      events.push_back({0, 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + first, '\n')),
                        whole.dump()});
      return events;
    }
    if (whole.is_array()) {
      for (std::size_t i = 0; i < whole.size(); ++i) {
        if (!whole[i].is_object()) {
          return core::Error::invalid("element " + std::to_string(i) + " of the array is " +
                                      describe(whole[i]) + ", not an event object");
        }
        events.push_back({i, 0, whole[i].dump()});
      }
      return events;
    }
    return core::Error::invalid("the input is " + describe(whole) +
                                "; expected an event object, an array of them, or JSON Lines");
  }

  // Not one JSON value. If its first line is not a JSON value either, it is most likely a
  // pretty-printed document with a mistake: report the document's error, not "line 1".
  {
    auto first_line_end = text.find('\n', first);
    auto first_line = text.substr(first, first_line_end == std::string_view::npos
                                             ? std::string_view::npos
                                             : first_line_end - first);
    if (nlohmann::json::parse(first_line, nullptr, false).is_discarded()) {
      try {
        auto discarded = nlohmann::json::parse(text);
        (void)discarded;
      } catch (const nlohmann::json::parse_error& e) {
        std::string what = e.what();
        auto at = what.find("parse error");
        return core::Error::invalid("not valid JSON (" +
                                    (at == std::string::npos ? what : what.substr(at)) +
                                    "); expected an event object, an array of them, or JSON Lines");
      }
    }
  }

  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++line_number;
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      if (end == text.size()) break;
      continue;
    }
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      // nlohmann's message includes the byte column; keep it but lead with the line.
      std::string what = e.what();
      auto colon = what.find("parse error");
      return core::Error::invalid("line " + std::to_string(line_number) + ": not valid JSON (" +
                                  (colon == std::string::npos ? what : what.substr(colon)) + ")");
    }
    if (!value.is_object()) {
      return core::Error::invalid("line " + std::to_string(line_number) + " is " + describe(value) +
                                  ", not an event object");
    }
    events.push_back({events.size(), line_number, value.dump()});
    if (end == text.size()) break;
  }
  return events;
}

core::Result<std::string> read_input(const std::string& path, std::istream& stdin_stream) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << stdin_stream.rdbuf();
    return buffer.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Error::not_found("cannot read " + path + ": no such file or not readable");
  buffer << in.rdbuf();
  if (in.bad()) return core::Error::unavailable("error reading " + path);
  return buffer.str();
}

}  // namespace edfleet::cli
