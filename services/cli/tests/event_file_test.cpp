#include <catch2/catch.hpp>

#include <sstream>

#include "event_file.h"

using namespace edfleet::cli;

TEST_CASE("one event object") {
  auto events = split_events("\n  {\"id\": \"a\", \"type\": \"xapi.statement\"}\n");
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  CHECK(events->at(0).json == R"({"id":"a","type":"xapi.statement"})");
  CHECK(events->at(0).line == 2);
}

TEST_CASE("an array of events") {
  auto events = split_events(R"([{"id":"a"}, {"id":"b"}])");
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK(events->at(1).index == 1);
  CHECK(events->at(1).json == R"({"id":"b"})");
  auto bad = split_events(R"([{"id":"a"}, 3])");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("element 1") && Catch::Contains("a number"));
}

TEST_CASE("JSON Lines, with blank lines and CRLF") {
  auto events = split_events("{\"id\":\"a\"}\r\n\n{\"id\":\"b\"}\n{\"id\":\"c\"}");
  REQUIRE(events.ok());
  REQUIRE(events->size() == 3);
  CHECK(events->at(0).line == 1);
  CHECK(events->at(1).line == 3);
  CHECK(events->at(2).line == 4);
  CHECK(events->at(2).index == 2);
  CHECK(events->at(2).json == R"({"id":"c"})");
}

TEST_CASE("errors say where") {
  auto broken_line = split_events("{\"id\":\"a\"}\n{\"id\": }\n");
  REQUIRE_FALSE(broken_line.ok());
  CHECK_THAT(broken_line.error().message, Catch::StartsWith("line 2: not valid JSON"));

  auto not_object = split_events("{\"id\":\"a\"}\n[1]\n");
  REQUIRE_FALSE(not_object.ok());
  CHECK_THAT(not_object.error().message, Catch::Contains("line 2 is an array"));

  auto scalar = split_events("\"hello\"");
  REQUIRE_FALSE(scalar.ok());
  CHECK_THAT(scalar.error().message, Catch::Contains("a string"));

  // A pretty-printed document with a mistake is reported as a document, not as "line 1".
  auto pretty = split_events("{\n  \"id\": \"a\",\n}\n");
  REQUIRE_FALSE(pretty.ok());
  CHECK_THAT(pretty.error().message, Catch::StartsWith("not valid JSON"));
}

TEST_CASE("empty input has no events") {
  auto events = split_events("  \n");
  REQUIRE(events.ok());
  CHECK(events->empty());
}

TEST_CASE("reading stdin and missing files") {
  std::istringstream in("{\"id\":\"x\"}");
  auto text = read_input("-", in);
  REQUIRE(text.ok());
  CHECK(*text == "{\"id\":\"x\"}");
  auto missing = read_input("/nonexistent/events.json", in);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("/nonexistent/events.json"));
}
