#include <catch2/catch.hpp>

#include "edfleet/core/time_format.h"
#include "transport/event_mapping.h"

using namespace edfleet;
using namespace edfleet::analytics;

namespace {

events::v1::Event base_event() {
  events::v1::Event event;
  event.set_id("0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9");
  event.set_tenant("acme");
  event.set_type("quiz.submitted");
  event.set_source("lms.acme.example");
  event.mutable_subject()->set_learner_id("learner-42");
  event.mutable_occurred_at()->set_seconds(1795599000);  // 2026-11-25T09:30:00Z
  event.mutable_occurred_at()->set_nanos(123456789);
  return event;
}

}  // namespace

TEST_CASE("an event's facts: tenant, lowercased id, type, occurred_at, learner, quiz percent",
          "[mapping]") {
  auto event = base_event();
  auto* quiz = event.mutable_quiz_submission();
  quiz->set_score(7);
  quiz->set_max_score(8);
  auto fact = to_event_fact(event);
  REQUIRE(fact.ok());
  CHECK(fact->tenant == "acme");
  CHECK(fact->event_id == "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
  CHECK(fact->type == "quiz.submitted");
  CHECK(core::format_rfc3339(fact->occurred_at) == "2026-11-25T09:30:00.123456Z");
  CHECK(fact->learner_id == "learner-42");
  REQUIRE(fact->quiz_percent.has_value());
  CHECK(*fact->quiz_percent == Approx(87.5));

  quiz->set_max_score(0);  // no usable maximum: a submission, but not scored
  auto unscored = to_event_fact(event);
  REQUIRE(unscored.ok());
  CHECK_FALSE(unscored->quiz_percent.has_value());
}

TEST_CASE("tutoring outcome, and received_at when occurred_at is missing", "[mapping]") {
  auto event = base_event();
  event.set_type("ops.session_completed");
  event.mutable_tutoring_session_completed()->set_outcome("completed");
  event.clear_occurred_at();
  event.mutable_received_at()->set_seconds(1795599000);
  auto fact = to_event_fact(event);
  REQUIRE(fact.ok());
  CHECK(fact->tutoring_outcome == "completed");
  CHECK(core::format_day(fact->occurred_at) == "2026-11-25");

  event.clear_received_at();
  auto none = to_event_fact(event);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().field == "occurred_at");
}

TEST_CASE("records that are not storable events are rejected", "[mapping]") {
  CHECK_FALSE(parse_event_fact("\xff\xff\xff garbage").ok());
  CHECK_FALSE(parse_event_fact("").ok());  // parses as an empty Event: no tenant, no id

  auto event = base_event();
  CHECK(parse_event_fact(event.SerializeAsString()).ok());
  event.set_id("42");
  auto bad_id = parse_event_fact(event.SerializeAsString());
  REQUIRE_FALSE(bad_id.ok());
  CHECK(bad_id.error().field == "id");
}
