// A rules file as `edfleet rules apply` reads it: one or more rules, each starting on a line that
// begins with `rule ` and running to the next such line (services/rules/README.md, API). Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edfleet::cli {

struct RuleText {
  std::string id;      // the word after `rule`
  int first_line = 0;  // 1-based line of the file the rule starts on
  std::string source;  // the rule's text, as in the file
};

// Text before the first `rule ` line (comments, blank lines) is kept with the first rule, so that the
// whole file is sent. A file without any `rule ` line gives no rules.
std::vector<RuleText> split_rules(std::string_view text);

}  // namespace edfleet::cli
