#include <catch2/catch.hpp>

#include "domain/pacing.h"
#include "domain/run_plan.h"
#include "edfleet/core/time_format.h"
#include "test_support.h"

using namespace edfleet;
using namespace edfleet::sim;
using namespace std::chrono_literals;

TEST_CASE("a stream's k-th event is due at k/rate, streams staggered within one interval", "[sim][pacing]") {
  const StreamPacer first(5, 0, 4);
  CHECK(first.due(0) == 0ns);
  CHECK(first.due(1) == 200ms);
  CHECK(first.due(50) == 10s);
  const StreamPacer third(5, 2, 4);
  CHECK(third.due(0) == 100ms);   // half an interval later
  CHECK(third.due(10) == 2100ms);
  // Over a long run the rate is exact: 20/s for an hour is 72,000 events in 3,600 s.
  CHECK(StreamPacer(20, 0, 1).due(72000) == 3600s);
}

TEST_CASE("counts split over streams and durations", "[sim][pacing]") {
  CHECK(split_count(10, 3) == std::vector<std::uint64_t>{4, 3, 3});
  CHECK(split_count(2, 4) == std::vector<std::uint64_t>{1, 1, 0, 0});
  CHECK(events_in(20, 2000ms) == 40);
  CHECK(events_in(5, 10000ms) == 50);
  CHECK(events_in(0.5, 3000ms) == 2);   // 1.5 rounds half away from zero
}

TEST_CASE("a worker lingers for a batch, but not longer than a full batch takes", "[sim][pacing]") {
  CHECK(batch_window(100, 100, 50ms) == 50ms);       // 5 events in 50 ms
  CHECK(batch_window(10000, 100, 50ms) == 10ms);     // 100 events are due after 10 ms
  CHECK(batch_window(0, 100, 50ms) == 50ms);
}

TEST_CASE("timeline limits: explicit start must end within 23 h, shifts are whole units", "[sim][pacing]") {
  const auto now = *core::parse_rfc3339("2026-11-25T09:00:00Z");
  CHECK(check_explicit_timeline(now + 22h, now).ok());
  const auto late = check_explicit_timeline(now + 30h, now);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().field == "start_time");
  CHECK(late.error().message.find("2026-11-26T15:00:00Z") != std::string::npos);
  CHECK(shift_back(now - 1h, now, kWeek) == 0us);
  CHECK(shift_back(now + 1h, now, kDay) == kDay);
  CHECK(shift_back(now + 8 * 24h, now, kWeek) == 2 * kWeek);
}

TEST_CASE("run plan: cohorts from rate and time scale, counts, tenants", "[sim][plan]") {
  const auto now = *core::parse_rfc3339("2026-11-25T09:00:00Z");
  PlanInput input;
  input.streams = 7;
  input.tenants = 3;
  input.rate = 4;
  input.duration = 5s;
  auto plan = plan_run(input, now);
  REQUIRE(plan.ok());
  CHECK(plan->streams.size() == 7);
  CHECK(plan->total_events == 7 * 20);
  CHECK(plan->streams[0].spec.tenant == "acme");
  CHECK(plan->streams[4].spec.tenant == "brightpath");
  CHECK(expected_events_per_day(plan->cohort) >= 4 * 86400.0 / 3600);
  CHECK(plan->streams[3].spec.seed == input.seed);
  CHECK(plan->streams[3].spec.stream == 3);

  input.count = 100;
  plan = plan_run(input, now);
  REQUIRE(plan.ok());
  CHECK(plan->total_events == 100);
  CHECK(plan->streams[0].events == 15);
  CHECK(plan->streams[6].events == 14);
}

TEST_CASE("run plan: by default the timeline ends by about now, in the past", "[sim][plan]") {
  const auto now = *core::parse_rfc3339("2026-11-25T09:17:00Z");
  for (const double scale : {600.0, 3600.0, 43200.0}) {
    PlanInput input;
    input.streams = 20;
    input.rate = 5;
    input.time_scale = scale;
    input.duration = 10s;
    auto plan = plan_run(input, now);
    REQUIRE(plan.ok());
    INFO("scale " << scale << ": " << core::format_rfc3339(plan->first_event) << " .. "
                  << core::format_rfc3339(plan->last_event));
    CHECK(plan->last_event <= now + 1h);
    CHECK(plan->first_event >= plan->streams[0].spec.start);
    // And it is what the streams really generate.
    core::Timestamp last = plan->streams[0].spec.start;
    for (const auto& stream : plan->streams) last = std::max(last, sim::test::generate(stream.spec, stream.events).back().occurred_at);
    CHECK(last == plan->last_event);
  }
}

TEST_CASE("run plan: an explicit start is kept, and is deterministic", "[sim][plan]") {
  const auto now = *core::parse_rfc3339("2026-11-25T09:17:00Z");
  PlanInput input;
  input.streams = 5;
  input.count = 500;
  input.start_time = *core::parse_rfc3339("2026-10-01T00:00:00Z");
  auto a = plan_run(input, now);
  auto b = plan_run(input, now + 5h);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->streams[2].spec.start == *input.start_time);
  CHECK(a->last_event == b->last_event);
  CHECK(a->first_event >= *input.start_time);

  input.start_time = now + 20h;   // would run far past ingest's 24 h skew
  auto late = plan_run(input, now);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().field == "start_time");
}

TEST_CASE("run plan: bad inputs are errors", "[sim][plan]") {
  const auto now = *core::parse_rfc3339("2026-11-25T09:17:00Z");
  PlanInput input;
  input.streams = 0;
  CHECK_FALSE(plan_run(input, now).ok());
  input.streams = 1;
  input.rate = 0;
  CHECK_FALSE(plan_run(input, now).ok());
}
