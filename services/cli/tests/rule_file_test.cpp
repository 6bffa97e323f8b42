#include <catch2/catch.hpp>

#include "rule_file.h"

using namespace edfleet::cli;

TEST_CASE("a rules file is split at lines starting with `rule `") {
  const std::string text =
      "# two rules\n"
      "rule a on quiz.submitted\n"
      "  then award_badge(\"x\")\n"
      "\n"
      "rule b_2 on xapi.statement then notify(\"ops\")\n"
      "  # a rule inside text is not a split: rule c\n";
  auto rules = split_rules(text);
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].id == "a");
  CHECK(rules[0].first_line == 2);
  CHECK(rules[0].source == "# two rules\nrule a on quiz.submitted\n  then award_badge(\"x\")\n\n");
  CHECK(rules[1].id == "b_2");
  CHECK(rules[1].first_line == 5);
  CHECK(rules[1].source ==
        "rule b_2 on xapi.statement then notify(\"ops\")\n  # a rule inside text is not a split: rule c\n");
}

TEST_CASE("a file without rules gives none; a last line without newline is kept") {
  CHECK(split_rules("").empty());
  CHECK(split_rules("# nothing\n  rule indented\n").empty());
  auto rules = split_rules("rule only on quiz.submitted then award_badge(\"b\")");
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].id == "only");
  CHECK(rules[0].source == "rule only on quiz.submitted then award_badge(\"b\")");
}
