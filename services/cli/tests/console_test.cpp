#include <catch2/catch.hpp>

#include <cstdio>

#include "console.h"

using namespace edfleet::cli;

TEST_CASE("lines are prefixed with the padded source name") {
  CHECK(prefix_line("ingest", 9, false, "hello") == "ingest    | hello");
  CHECK(prefix_line("analytics", 9, false, "x") == "analytics | x");
  auto coloured = prefix_line("ingest", 6, true, "hello");
  CHECK(coloured == "\x1b[" + std::to_string(colour_for("ingest")) + "mingest | \x1b[0mhello");
  CHECK(colour_for("ingest") == colour_for("ingest"));
  CHECK(colour_for("ingest") != 31);
}

TEST_CASE("JSON log lines are shown compactly") {
  CHECK(compact_log_line(R"({"ts":"2026-11-25T09:30:00.123456Z","level":"info","service":"ingest","trace_id":"","msg":"published batch","accepted":97,"topic":"t"})") ==
        "09:30:00.123 INFO  published batch accepted=97 topic=t");
  CHECK(compact_log_line(R"({"level":"error","msg":"boom","trace_id":"abc"})") == "ERROR boom trace_id=abc");
  CHECK(compact_log_line("plain text") == "plain text");
  CHECK(compact_log_line("{not json") == "{not json");
  CHECK(compact_log_line(R"({"a":1})") == R"({"a":1})");
}

TEST_CASE("the writer writes whole lines") {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* memory = open_memstream(&buffer, &size);
  {
    PrefixedWriter writer(memory, false, true, 7);
    writer.write("ingest", R"({"level":"info","msg":"m"})");
    writer.note("starting");
    writer.raw("TABLE\n");
  }
  std::fclose(memory);
  std::string text(buffer, size);
  std::free(buffer);
  CHECK(text == "ingest  | {\"level\":\"info\",\"msg\":\"m\"}\nedfleet | starting\nTABLE\n");
}
