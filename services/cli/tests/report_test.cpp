#include <catch2/catch.hpp>

#include "report.h"

using namespace edfleet::cli;

TEST_CASE("the publish tally separates new, duplicate and rejected events") {
  PublishTally tally;
  tally.add({0, 1, "a", true, false, "", "", ""});
  tally.add({1, 2, "a", true, true, "", "", ""});
  tally.add({2, 3, "b", false, false, "INVALID_FIELD", "occurred_at", "occurred_at is required"});
  tally.add({3, 0, "", false, false, "NOT_AN_EVENT", "", "unknown field \"colour\""});
  CHECK(tally.accepted() == 1);
  CHECK(tally.duplicates() == 1);
  CHECK(tally.rejected() == 2);
  CHECK(tally.summary() == "4 events: 1 accepted, 1 duplicate, 2 rejected");
  CHECK(PublishTally::rejection_line(tally.rejections()[0]) ==
        "event 2 (line 3, id b): INVALID_FIELD occurred_at: occurred_at is required");
  CHECK(PublishTally::rejection_line(tally.rejections()[1]) == "event 3: NOT_AN_EVENT: unknown field \"colour\"");
  auto json = tally.to_json();
  CHECK(json["accepted"] == 1);
  CHECK(json["duplicates"] == 1);
  CHECK(json["rejected"] == 2);
  CHECK(json["rejections"][0]["line"] == 3);
  CHECK_FALSE(json["rejections"][1].contains("line"));
  CHECK(json["not_sent"] == 0);
  CHECK(PublishTally().summary() == "0 events: 0 accepted, 0 duplicates, 0 rejected");
  tally.set_not_sent(5);
  CHECK(tally.summary() == "9 events: 1 accepted, 1 duplicate, 2 rejected, 5 not sent");
}

TEST_CASE("counts render as a table with a total") {
  CHECK(render_counts({{"2026-11-25", "quiz.submitted", 3}, {"2026-11-25", "xapi.statement", 12}}, 15) ==
        "DAY         TYPE            COUNT\n"
        "----------  --------------  -----\n"
        "2026-11-25  quiz.submitted      3\n"
        "2026-11-25  xapi.statement     12\n"
        "total 15\n");
  CHECK(render_counts({}, 0) == "no events in that range\n");
}

TEST_CASE("a learner renders as a summary and a per-type table") {
  LearnerView learner;
  learner.learner_id = "L-1";
  learner.total_events = 3;
  learner.events_by_type = {{"quiz.submitted", 2}, {"xapi.statement", 1}};
  learner.first_seen = "2026-11-01T10:00:00Z";
  learner.quiz_submissions = 2;
  learner.quiz_average_percent = 87.5;
  auto text = render_learner(learner);
  CHECK_THAT(text, Catch::Contains("LEARNER                      L-1"));
  CHECK_THAT(text, Catch::Contains("quiz average                 87.5%"));
  CHECK_THAT(text, Catch::Contains("last seen                    -"));
  CHECK_THAT(text, Catch::Contains("quiz.submitted       2"));
}
