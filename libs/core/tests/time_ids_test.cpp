#include <catch2/catch.hpp>

#include <set>

#include "edfleet/core/clock.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/result.h"
#include "edfleet/core/time_format.h"

using namespace edfleet::core;
using namespace std::chrono_literals;

TEST_CASE("RFC 3339 parses UTC, offsets and fractions", "[time]") {
  auto utc = parse_rfc3339("2026-11-25T09:30:00Z");
  REQUIRE(utc);
  CHECK(format_rfc3339(*utc) == "2026-11-25T09:30:00Z");

  auto offset = parse_rfc3339("2026-11-25T10:30:00.5+01:00");
  REQUIRE(offset);
  CHECK(format_rfc3339(*offset) == "2026-11-25T09:30:00.500000Z");

  auto negative = parse_rfc3339("2026-11-24T23:00:00-10:30");
  REQUIRE(negative);
  CHECK(format_rfc3339(*negative) == "2026-11-25T09:30:00Z");

  auto nanos = parse_rfc3339("2026-11-25T09:30:00.123456789Z");
  REQUIRE(nanos);
  CHECK(format_rfc3339(*nanos) == "2026-11-25T09:30:00.123456Z");
}

TEST_CASE("RFC 3339 rejects what is not a full date-time with a zone", "[time]") {
  for (const char* bad : {"", "2026-11-25", "2026-11-25T09:30:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-11-25T24:00:00Z", "2026-11-25T09:30Z", "2026-11-25T09:30:00.Z",
                          "2026-11-25T09:30:00+0100", "2026-11-25T09:30:00Zjunk", "yesterday"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339(bad).has_value());
  }
}

TEST_CASE("days format and parse in UTC", "[time]") {
  auto t = parse_rfc3339("2026-02-28T23:59:59+00:00");
  REQUIRE(t);
  CHECK(format_day(*t) == "2026-02-28");
  CHECK(format_day(*t + 1s) == "2026-03-01");
  auto d = parse_day("2024-02-29");
  REQUIRE(d);
  CHECK(format_rfc3339(*d) == "2024-02-29T00:00:00Z");
  CHECK_FALSE(parse_day("2026-02-29").has_value());
  CHECK_FALSE(parse_day("2026-1-1").has_value());
}

TEST_CASE("UUIDs and trace ids are recognised and generated", "[ids]") {
  CHECK(is_uuid("123e4567-e89b-42d3-a456-426614174000"));
  CHECK(is_uuid("123E4567-E89B-42D3-A456-426614174000"));
  CHECK_FALSE(is_uuid("123e4567e89b42d3a456426614174000"));
  CHECK_FALSE(is_uuid("123e4567-e89b-42d3-a456-42661417400g"));
  CHECK(is_trace_id("4bf92f3577b34da6a3ce929d0e0e4736"));
  CHECK_FALSE(is_trace_id("00000000000000000000000000000000"));
  CHECK_FALSE(is_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736"));

  auto& gen = RandomIdGenerator::instance();
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = gen.uuid();
    REQUIRE(is_uuid(id));
    CHECK(id[14] == '4');
    CHECK((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    seen.insert(id);
    REQUIRE(is_trace_id(gen.trace_id()));
  }
  CHECK(seen.size() == 1000);

  SequentialIdGenerator seq;
  CHECK(seq.uuid() == "00000000-0000-4000-8000-000000000001");
  CHECK(seq.uuid() == "00000000-0000-4000-8000-000000000002");
}

TEST_CASE("manual clock moves only when told", "[clock]") {
  auto start = *parse_rfc3339("2026-11-25T00:00:00Z");
  ManualClock clock(start);
  auto steady = clock.steady_now();
  CHECK(clock.now() == start);
  clock.advance(1500ms);
  CHECK(format_rfc3339(clock.now()) == "2026-11-25T00:00:01.500000Z");
  CHECK(clock.steady_now() - steady == 1500ms);
  clock.set(start);  // wall time may go back; the monotonic reading does not
  CHECK(clock.now() == start);
  CHECK(clock.steady_now() - steady == 1500ms);
}

TEST_CASE("Result carries a value or a typed error", "[result]") {
  Result<int> good = 42;
  REQUIRE(good.ok());
  CHECK(*good == 42);
  Result<int> bad = Error::invalid("score must be at most max_score", "payload.quiz_submission.score");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad.error().field == "payload.quiz_submission.score");
  CHECK(error_code_name(bad.error().code) == "invalid_argument");
  Result<void> done;
  CHECK(done.ok());
  Result<void> failed = Error::unavailable("kafka down");
  CHECK_FALSE(failed.ok());
}
