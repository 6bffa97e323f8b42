#include <catch2/catch.hpp>

#include <vector>

#include "domain/apply_events.h"
#include "domain/queries.h"
#include "fake_event_count_store.h"
#include "test_facts.h"

using namespace edfleet;
using namespace edfleet::analytics;
using namespace edfleet::analytics::testing;

namespace {

const core::Timestamp kNow = at("2026-11-25T09:30:00Z");

EventCountsQuery range(std::string from, std::string to, std::vector<std::string> types = {}) {
  return {std::move(from), std::move(to), std::move(types)};
}

}  // namespace

TEST_CASE("event-count ranges default to the 30 days before today (UTC)", "[queries]") {
  auto both = resolve_event_counts_query({}, kNow);
  REQUIRE(both.ok());
  CHECK(both->to_day == "2026-11-25");
  CHECK(both->from_day == "2026-10-26");

  auto only_to = resolve_event_counts_query(range("", "2026-03-01"), kNow);
  REQUIRE(only_to.ok());
  CHECK(only_to->from_day == "2026-01-30");

  auto only_from = resolve_event_counts_query(range("2026-11-01", ""), kNow);
  REQUIRE(only_from.ok());
  CHECK(only_from->from_day == "2026-11-01");
  CHECK(only_from->to_day == "2026-11-25");

  // "Today" is the UTC day even late in the evening west of Greenwich.
  auto late = resolve_event_counts_query({}, at("2026-11-25T23:30:00-05:00"));
  REQUIRE(late.ok());
  CHECK(late->to_day == "2026-11-26");
}

TEST_CASE("event-count ranges are validated", "[queries]") {
  auto reversed = resolve_event_counts_query(range("2026-11-02", "2026-11-01"), kNow);
  REQUIRE_FALSE(reversed.ok());
  CHECK(reversed.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(reversed.error().field == "from_day");

  CHECK(resolve_event_counts_query(range("2026-11-01", "2026-11-01"), kNow).ok());  // one day
  // 2024 is a leap year: 2024-01-01..2024-12-31 is exactly 366 days.
  CHECK(resolve_event_counts_query(range("2024-01-01", "2024-12-31"), kNow).ok());
  auto too_long = resolve_event_counts_query(range("2024-01-01", "2025-01-01"), kNow);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().field == "from_day");

  for (const char* bad : {"2026-13-01", "26-11-01", "2026-11-01T00:00:00Z", "yesterday", "2026-02-30"}) {
    INFO(bad);
    auto result = resolve_event_counts_query(range(bad, "2026-11-25"), kNow);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().field == "from_day");
    auto to_result = resolve_event_counts_query(range("2026-11-01", bad), kNow);
    REQUIRE_FALSE(to_result.ok());
    CHECK(to_result.error().field == "to_day");
  }

  std::vector<std::string> many(kMaxTypeFilters + 1, "xapi.statement");
  CHECK_FALSE(resolve_event_counts_query(range("", "", many), kNow).ok());
  CHECK_FALSE(resolve_event_counts_query(range("", "", {""}), kNow).ok());
  auto dup = resolve_event_counts_query(range("", "", {"a.b", "a.b", "c.d"}), kNow);
  REQUIRE(dup.ok());
  CHECK(dup->types == std::vector<std::string>{"a.b", "c.d"});
}

TEST_CASE("event counts: one tenant, the range inclusive, filtered by type, with a total", "[queries]") {
  FakeEventCountStore store;
  ApplyEvents apply(store);
  const std::vector<EventFact> facts = {
      fact("acme", 1, "xapi.statement", "2026-11-01T10:00:00Z"),
      fact("acme", 2, "xapi.statement", "2026-11-01T11:00:00Z"),
      fact("acme", 3, "quiz.submitted", "2026-11-02T10:00:00Z"),
      fact("acme", 4, "xapi.statement", "2026-11-03T10:00:00Z"),
      fact("acme", 5, "xapi.statement", "2026-10-31T23:59:59Z"),  // before the range
      fact("globex", 6, "xapi.statement", "2026-11-01T10:00:00Z"),
  };
  (void)apply(facts, {});
  core::ManualClock clock(kNow);
  AnalyticsQueries queries(store, clock);

  auto all = queries.event_counts("acme", range("2026-11-01", "2026-11-03"));
  REQUIRE(all.ok());
  CHECK(all->counts == std::vector<EventCountRow>{{"2026-11-01", "xapi.statement", 2},
                                                  {"2026-11-02", "quiz.submitted", 1},
                                                  {"2026-11-03", "xapi.statement", 1}});
  CHECK(all->total == 4);

  auto quizzes = queries.event_counts("acme", range("2026-11-01", "2026-11-03", {"quiz.submitted"}));
  REQUIRE(quizzes.ok());
  CHECK(quizzes->total == 1);

  auto globex = queries.event_counts("globex", range("2026-10-01", "2026-11-30"));
  REQUIRE(globex.ok());
  CHECK(globex->total == 1);

  auto nobody = queries.event_counts("initech", range("2026-10-01", "2026-11-30"));
  REQUIRE(nobody.ok());
  CHECK(nobody->counts.empty());
  CHECK(nobody->total == 0);

  auto bad_tenant = queries.event_counts("Not A Slug", {});
  REQUIRE_FALSE(bad_tenant.ok());
  CHECK(bad_tenant.error().field == "tenant");
}

TEST_CASE("learner summary: the counters, the quiz average, NOT_FOUND and tenant isolation",
          "[queries]") {
  FakeEventCountStore store;
  ApplyEvents apply(store);
  const std::vector<EventFact> facts = {
      quiz("acme", 1, "2026-11-20T10:00:00Z", "l-1", 90.0),
      quiz("acme", 2, "2026-11-21T10:00:00Z", "l-1", 60.0),
      tutoring_completed("acme", 3, "2026-11-22T10:00:00Z", "l-1", "completed"),
      fact("acme", 4, "ops.ib_call_logged", "2026-11-23T10:00:00Z", "l-1"),
      fact("globex", 5, "xapi.statement", "2026-11-23T10:00:00Z", "l-9"),
  };
  (void)apply(facts, {});
  core::ManualClock clock(kNow);
  AnalyticsQueries queries(store, clock);

  auto summary = queries.learner_summary("acme", "l-1");
  REQUIRE(summary.ok());
  CHECK(summary->learner_id == "l-1");
  CHECK(summary->total_events == 4);
  CHECK(summary->events_by_type.at("quiz.submitted") == 2);
  CHECK(summary->first_seen == at("2026-11-20T10:00:00Z"));
  CHECK(summary->last_seen == at("2026-11-23T10:00:00Z"));
  CHECK(summary->quiz_submissions == 2);
  CHECK(summary->quiz_average_percent == Approx(75.0));
  CHECK(summary->tutoring_sessions_completed == 1);
  CHECK(summary->ib_calls == 1);

  auto missing = queries.learner_summary("acme", "l-404");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == core::ErrorCode::kNotFound);

  // globex's learner is invisible to acme.
  auto other = queries.learner_summary("acme", "l-9");
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == core::ErrorCode::kNotFound);

  auto empty = queries.learner_summary("acme", "");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(empty.error().field == "learner_id");

  LearnerCounters unscored;
  unscored.total_events = 1;
  unscored.quiz_submissions = 1;
  CHECK(summarize("l", unscored).quiz_average_percent == 0.0);
}

TEST_CASE("tenant slugs", "[queries]") {
  CHECK(is_tenant_slug("acme"));
  CHECK(is_tenant_slug("a"));
  CHECK(is_tenant_slug("0-acme_eu"));
  CHECK(is_tenant_slug(std::string(63, 'a')));
  CHECK_FALSE(is_tenant_slug(""));
  CHECK_FALSE(is_tenant_slug(std::string(64, 'a')));
  CHECK_FALSE(is_tenant_slug("-acme"));
  CHECK_FALSE(is_tenant_slug("Acme"));
  CHECK_FALSE(is_tenant_slug("ac me"));
}
