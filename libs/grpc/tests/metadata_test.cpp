#include "edfleet/grpc/metadata.h"

#include <catch2/catch.hpp>

using edfleet::grpc::format_traceparent;
using edfleet::grpc::parse_traceparent;

TEST_CASE("a valid version-00 traceparent is parsed") {
  auto parsed = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(parsed);
  CHECK(parsed->version == "00");
  CHECK(parsed->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(parsed->parent_id == "00f067aa0ba902b7");
  CHECK(parsed->flags == 1);
  CHECK(parsed->sampled());

  auto unsampled = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  REQUIRE(unsampled);
  CHECK_FALSE(unsampled->sampled());
}

TEST_CASE("a later traceparent version may carry extra fields") {
  auto parsed = parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-whatever");
  REQUIRE(parsed);
  CHECK(parsed->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK_FALSE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
}

TEST_CASE("malformed traceparents are rejected") {
  const char* bad[] = {
      "",
      "garbage",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",              // no flags
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",     // v00 has no extra fields
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",           // version ff is invalid
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",           // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",           // all-zero parent id
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",           // upper case
      "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",           // wrong separators
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",           // not hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",           // flags not hex
  };
  for (const char* value : bad) {
    INFO(value);
    CHECK_FALSE(parse_traceparent(value));
  }
}

TEST_CASE("format_traceparent produces what parse_traceparent accepts") {
  auto text = format_traceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
  CHECK(text == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto parsed = parse_traceparent(text);
  REQUIRE(parsed);
  CHECK(parsed->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(format_traceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", false).ends_with("-00"));
}
