#include "rule_file.h"

namespace edfleet::cli {

namespace {

std::string rule_id(std::string_view line) {
  auto rest = line.substr(5);
  auto start = rest.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  auto end = rest.find_first_of(" \t\r{", start);
  return std::string(rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

}  // namespace

std::vector<RuleText> split_rules(std::string_view text) {
  std::vector<RuleText> rules;
  std::string preamble;
  int line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    auto line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos + 1);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_number;
    if (line.substr(0, 5) == "rule ") {
      rules.push_back({rule_id(line), line_number, rules.empty() ? std::move(preamble) : std::string()});
      preamble.clear();
    }
    if (rules.empty()) {
      preamble.append(line);
    } else {
      rules.back().source.append(line);
    }
  }
  return rules;
}

}  // namespace edfleet::cli
