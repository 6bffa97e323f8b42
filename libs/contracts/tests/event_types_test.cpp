#include <catch2/catch.hpp>

#include "edfleet/contracts/event_types.h"

using namespace edfleet::contracts;

TEST_CASE("a session event is keyed by its session, whatever learner it also names") {
  // The README's own live-class example carries both ids: one session must be one partition.
  const SubjectIds both{.learner_id = "learner-7", .session_id = "class-42"};
  CHECK(partition_key("acme", "session.chat_message", both, "e-1") == "acme/class-42");
  CHECK(partition_key("acme", "session.participant_joined", both, "e-2") == "acme/class-42");
  for (const auto& type : event_types()) {
    if (!is_session_type(type.type)) continue;
    INFO(type.type);
    CHECK(partition_value(type.type, both, "e") == "class-42");
  }
}

TEST_CASE("learner and tutoring events keep their keys") {
  const SubjectIds ids{.learner_id = "learner-7", .tutor_id = "tutor-3", .session_id = "s-1", .course_id = "c-1"};
  CHECK(partition_value("quiz.submitted", ids, "e") == "learner-7");
  CHECK(partition_value("xapi.statement", ids, "e") == "learner-7");
  CHECK(partition_value("ops.session_completed", ids, "e") == "learner-7");
  CHECK(partition_value("ops.tutor_availability_updated", ids, "e") == "tutor-3");
  // No subject decides for supply/demand: the first id set, else the event id.
  CHECK(partition_value("ops.supply_demand_update", {}, "e-9") == "e-9");
  CHECK(partition_value("ops.supply_demand_update", {.course_id = "c-1"}, "e-9") == "c-1");
  // A primary field left empty falls back along learner, tutor, session, course.
  CHECK(partition_value("ops.tutor_availability_updated", {.learner_id = "l"}, "e") == "l");
  // Unknown types (refused by ingest, but keyed consistently by anyone who asks).
  CHECK(partition_value("no.such_type", {.session_id = "s"}, "e") == "s");
}

TEST_CASE("every type is found by name, every session type requires its session id") {
  for (const auto& type : event_types()) {
    INFO(type.type);
    CHECK(find_event_type(type.type) == &type);
    if (is_session_type(type.type)) {
      CHECK(type.required_subject == std::vector<SubjectField>{SubjectField::kSession});
      CHECK(type.partition_field == SubjectField::kSession);
      CHECK(type.type == "session." + std::string(type.detail));
    }
  }
  CHECK(find_event_type("session.nope") == nullptr);
  CHECK_FALSE(is_session_type("quiz.submitted"));
}

TEST_CASE("types are found by their payload case and detail") {
  CHECK(find_event_type_by_payload("quiz_submission")->type == "quiz.submitted");
  CHECK(find_event_type_by_payload("class_session", "poll_voted")->type == "session.poll_voted");
  CHECK(find_event_type_by_payload("class_session") == nullptr);
  CHECK(find_event_type_by_payload("nothing") == nullptr);
}
