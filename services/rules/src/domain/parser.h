// Rule text -> syntax trees. The grammar (PEGTL) is documented in services/rules/README.md.
#pragma once

#include <string_view>
#include <variant>
#include <vector>

#include "domain/ast.h"

namespace edfleet::rules {

// Parses a rule file holding one or more rules. On a syntax error returns the (single) diagnostic
// with the line and column where the text stopped making sense and what was expected there.
struct ParseResult {
  std::vector<RuleAst> rules;
  std::vector<Diagnostic> errors;
  bool ok() const { return errors.empty(); }
};
ParseResult parse_rules(std::string_view text);

}  // namespace edfleet::rules
