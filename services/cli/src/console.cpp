#include "console.h"

#include <array>

#include <nlohmann/json.hpp>

namespace edfleet::cli {

int colour_for(std::string_view source) {
  // Red is kept for errors; the rest are easy to tell apart on dark and light backgrounds.
  static constexpr std::array<int, 6> kColours = {36, 32, 33, 35, 34, 96};
  std::size_t hash = 5381;
  for (char c : source) hash = hash * 33 + static_cast<unsigned char>(c);
  return kColours[hash % kColours.size()];
}

std::string prefix_line(std::string_view source, std::size_t width, bool colour, std::string_view line) {
  std::string prefix(source);
  if (prefix.size() < width) prefix.append(width - prefix.size(), ' ');
  prefix += " | ";
  if (colour) {
    prefix = "\x1b[" + std::to_string(colour_for(source)) + "m" + prefix + "\x1b[0m";
  }
  return prefix + std::string(line);
}

std::string compact_log_line(std::string_view line) {
  if (line.empty() || line.front() != '{') return std::string(line);
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("msg") || !json.contains("level")) {
    return std::string(line);
  }
  std::string out;
  if (auto ts = json.value("ts", std::string()); ts.size() >= 23 && ts[10] == 'T') {
    out += ts.substr(11, 12);   // HH:MM:SS.mmm: the date is the same for a whole `up` session
    out += ' ';
  }
  std::string level = json.value("level", std::string());
  for (auto& c : level) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  level.resize(std::max<std::size_t>(level.size(), 5), ' ');
  out += level + ' ';
  out += json["msg"].is_string() ? json["msg"].get<std::string>() : json["msg"].dump();
  for (const auto& [key, value] : json.items()) {
    if (key == "ts" || key == "level" || key == "msg" || key == "service") continue;
    if (key == "trace_id" && value.is_string() && value.get<std::string>().empty()) continue;
    out += ' ' + key + '=' + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

PrefixedWriter::PrefixedWriter(std::FILE* out, bool colour, bool raw_logs, std::size_t width)
    : out_(out), colour_(colour), raw_logs_(raw_logs), width_(width) {}

void PrefixedWriter::write(std::string_view source, std::string_view line) {
  std::string text = prefix_line(source, width_, colour_, raw_logs_ ? std::string(line) : compact_log_line(line));
  text += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

void PrefixedWriter::raw(std::string_view text) {
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace edfleet::cli
