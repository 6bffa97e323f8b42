#include <catch2/catch.hpp>

#include "table.h"

using edfleet::cli::Table;

TEST_CASE("tables pad columns and right-align numbers") {
  Table table({"DAY", "TYPE", "COUNT"});
  table.align(2, Table::Align::kRight);
  table.add_row({"2026-11-25", "quiz.submitted", "7"});
  table.add_row({"2026-11-26", "xapi.statement", "1234"});
  CHECK(table.render() ==
        "DAY         TYPE            COUNT\n"
        "----------  --------------  -----\n"
        "2026-11-25  quiz.submitted      7\n"
        "2026-11-26  xapi.statement   1234\n");
}

TEST_CASE("short rows are padded, long rows rejected, no trailing spaces") {
  Table table({"A", "B"});
  table.add_row({"x"});
  CHECK(table.render() == "A  B\n-  -\nx\n");
  CHECK_THROWS(table.add_row({"1", "2", "3"}));
}

TEST_CASE("width counts UTF-8 code points") {
  CHECK(edfleet::cli::display_width("é") == 1);
  Table table({"NAME", "N"});
  table.add_row({"José", "1"});
  CHECK(table.render() == "NAME  N\n----  -\nJosé  1\n");
}
