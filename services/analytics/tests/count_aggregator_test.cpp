#include <catch2/catch.hpp>

#include <vector>

#include "domain/count_aggregator.h"
#include "test_facts.h"

using namespace edfleet::analytics;
using namespace edfleet::analytics::testing;

TEST_CASE("events are counted per tenant, UTC day of occurred_at and type", "[aggregator]") {
  const std::vector<EventFact> facts = {
      fact("acme", 1, "xapi.statement", "2026-11-25T00:00:00Z"),
      fact("acme", 2, "xapi.statement", "2026-11-25T23:59:59.999999Z"),
      fact("acme", 3, "xapi.statement", "2026-11-26T00:00:00Z"),
      // 00:30 at +01:00 is 23:30 UTC the day before: counted on the 25th.
      fact("acme", 4, "xapi.statement", "2026-11-26T00:30:00+01:00"),
      // 20:00 at -05:00 is 01:00 UTC the next day.
      fact("acme", 5, "quiz.submitted", "2026-11-25T20:00:00-05:00"),
      fact("globex", 6, "xapi.statement", "2026-11-25T10:00:00Z"),
  };
  const auto deltas = CountAggregator::fold(facts);

  const std::map<DayTypeKey, std::int64_t> expected = {
      {{"acme", "2026-11-25", "xapi.statement"}, 3},
      {{"acme", "2026-11-26", "xapi.statement"}, 1},
      {{"acme", "2026-11-26", "quiz.submitted"}, 1},
      {{"globex", "2026-11-25", "xapi.statement"}, 1},
  };
  CHECK(deltas.event_counts == expected);
  CHECK(deltas.events == 6);
  CHECK(deltas.learners.empty());  // none of them is about a learner
}

TEST_CASE("learner counters: totals, per type, first and last seen, quiz, tutoring, ib calls",
          "[aggregator]") {
  const std::vector<EventFact> facts = {
      fact("acme", 1, "xapi.statement", "2026-11-25T10:00:00Z", "l-1"),
      // Out of order: first/last seen are by occurred_at, not by arrival.
      fact("acme", 2, "xapi.statement", "2026-11-20T08:00:00Z", "l-1"),
      quiz("acme", 3, "2026-11-26T09:00:00Z", "l-1", 80.0),
      quiz("acme", 4, "2026-11-24T09:00:00Z", "l-1", 50.0),
      quiz("acme", 5, "2026-11-24T09:30:00Z", "l-1", std::nullopt),  // unscored: not in the average
      tutoring_completed("acme", 6, "2026-11-25T11:00:00Z", "l-1", "completed"),
      tutoring_completed("acme", 7, "2026-11-25T12:00:00Z", "l-1", "no_show_learner"),
      fact("acme", 8, "ops.ib_call_logged", "2026-11-25T13:00:00Z", "l-1"),
      fact("acme", 9, "xapi.statement", "2026-11-25T10:00:00Z", "l-2"),
      fact("globex", 10, "xapi.statement", "2026-11-25T10:00:00Z", "l-1"),  // another tenant's l-1
  };
  const auto deltas = CountAggregator::fold(facts);

  REQUIRE(deltas.learners.size() == 3);
  const auto& l1 = deltas.learners.at({"acme", "l-1"});
  CHECK(l1.total_events == 8);
  CHECK(l1.events_by_type == std::map<std::string, std::int64_t>{{"xapi.statement", 2},
                                                                  {"quiz.submitted", 3},
                                                                  {"ops.session_completed", 2},
                                                                  {"ops.ib_call_logged", 1}});
  CHECK(l1.first_seen == at("2026-11-20T08:00:00Z"));
  CHECK(l1.last_seen == at("2026-11-26T09:00:00Z"));
  CHECK(l1.quiz_submissions == 3);
  CHECK(l1.quiz_scored == 2);
  CHECK(l1.quiz_percent_sum == Approx(130.0));
  CHECK(l1.tutoring_sessions_completed == 1);
  CHECK(l1.ib_calls == 1);

  const auto& l2 = deltas.learners.at({"acme", "l-2"});
  CHECK(l2.total_events == 1);
  CHECK(l2.first_seen == l2.last_seen);
  CHECK(l2.quiz_submissions == 0);

  CHECK(deltas.learners.at({"globex", "l-1"}).total_events == 1);
}

TEST_CASE("an event twice in one batch is counted once", "[aggregator]") {
  CountAggregator aggregator;
  CHECK(aggregator.add(quiz("acme", 1, "2026-11-25T10:00:00Z", "l-1", 90.0)));
  // The same id again, even with different content: the first one wins.
  CHECK_FALSE(aggregator.add(quiz("acme", 1, "2026-11-25T10:00:00Z", "l-1", 10.0)));
  CHECK_FALSE(aggregator.add(fact("acme", 1, "xapi.statement", "2026-11-27T10:00:00Z", "l-1")));
  // The same id in another tenant is another event.
  CHECK(aggregator.add(fact("globex", 1, "xapi.statement", "2026-11-25T10:00:00Z", "l-1")));

  const auto& deltas = aggregator.deltas();
  CHECK(aggregator.duplicates() == 2);
  CHECK(deltas.events == 2);
  CHECK(deltas.event_counts.at({"acme", "2026-11-25", "quiz.submitted"}) == 1);
  CHECK(deltas.event_counts.count({"acme", "2026-11-27", "xapi.statement"}) == 0);
  const auto& l1 = deltas.learners.at({"acme", "l-1"});
  CHECK(l1.total_events == 1);
  CHECK(l1.quiz_percent_sum == Approx(90.0));
}

TEST_CASE("merging counters adds counts and widens the seen window", "[aggregator]") {
  LearnerCounters stored;
  stored.add(quiz("acme", 1, "2026-11-20T10:00:00Z", "l-1", 100.0));
  LearnerCounters delta;
  delta.add(quiz("acme", 2, "2026-11-18T10:00:00Z", "l-1", 50.0));
  delta.add(fact("acme", 3, "ops.ib_call_logged", "2026-11-22T10:00:00Z", "l-1"));
  stored.merge(delta);

  CHECK(stored.total_events == 3);
  CHECK(stored.events_by_type.at("quiz.submitted") == 2);
  CHECK(stored.first_seen == at("2026-11-18T10:00:00Z"));
  CHECK(stored.last_seen == at("2026-11-22T10:00:00Z"));
  CHECK(stored.quiz_scored == 2);
  CHECK(stored.quiz_percent_sum == Approx(150.0));
  CHECK(stored.ib_calls == 1);

  LearnerCounters empty;
  stored.merge(empty);  // an empty delta changes nothing (its zero timestamps are not "seen")
  CHECK(stored.first_seen == at("2026-11-18T10:00:00Z"));
}
