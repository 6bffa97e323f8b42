// Every validation rule, with a passing and a failing example.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "domain/event_types.h"
#include "domain/validation.h"
#include "test_support.h"

using namespace edfleet::ingest;
using namespace edfleet::ingest::test;

namespace {

const ValidationLimits kLimits{};

std::optional<Rejection> check(EventEnvelope e, std::string_view caller = {}, ValidationLimits limits = kLimits) {
  return validate_event(e, caller, limits, test_now());
}

void expect_rejected(const EventEnvelope& e, RejectReason reason, const std::string& field,
                     std::string_view caller = {}) {
  const auto r = check(e, caller);
  INFO("type " << e.type);
  REQUIRE(r.has_value());
  CHECK(reject_reason_name(r->reason) == reject_reason_name(reason));
  CHECK(r->field == field);
  CHECK_FALSE(r->message.empty());
}

}  // namespace

TEST_CASE("a sample of every known type is valid", "[validation]") {
  REQUIRE(event_type_specs().size() == 22);
  for (const auto& spec : event_type_specs()) {
    INFO(spec.type);
    const auto r = check(sample_event(spec.type));
    CHECK_FALSE(r.has_value());
    if (r) FAIL_CHECK(r->message);
  }
}

TEST_CASE("the type catalogue matches the plan's list", "[validation]") {
  for (const char* type : {"xapi.statement", "quiz.submitted", "session.scheduled", "session.started",
                           "session.participant_joined", "session.participant_left", "session.scene_changed",
                           "session.slide_changed", "session.chat_message", "session.question_asked",
                           "session.question_answered", "session.poll_created", "session.poll_voted",
                           "session.poll_closed", "session.transcript_segment", "session.ended",
                           "ops.session_started", "ops.session_completed", "ops.ib_call_logged",
                           "ops.tutor_availability_updated", "ops.customer_health_update",
                           "ops.supply_demand_update"}) {
    INFO(type);
    CHECK(find_event_type(type) != nullptr);
  }
  CHECK(find_event_type("session.") == nullptr);
  CHECK(find_event_type("quiz.Submitted") == nullptr);
}

TEST_CASE("id is required and must be a UUID", "[validation]") {
  auto e = sample_event();
  e.id = "";
  expect_rejected(e, RejectReason::kMissingField, "id");
  e.id = "not-a-uuid";
  expect_rejected(e, RejectReason::kInvalidField, "id");
  e.id = "00000000-0000-4000-8000-00000000000G";
  expect_rejected(e, RejectReason::kInvalidField, "id");
  e.id = "3F2B8E0A-5C1D-4E8F-9A7B-1C2D3E4F5A6B";  // upper case is still a UUID
  CHECK_FALSE(check(e));
}

TEST_CASE("an event over the size limit is too large", "[validation]") {
  auto e = sample_event();
  e.serialized_size = 64 * 1024;
  CHECK_FALSE(check(e));
  e.serialized_size = 64 * 1024 + 1;
  expect_rejected(e, RejectReason::kTooLarge, "");
  ValidationLimits small;
  small.max_event_bytes = 100;
  e.serialized_size = 101;
  REQUIRE(check(e, {}, small));
  CHECK(check(e, {}, small)->reason == RejectReason::kTooLarge);
}

TEST_CASE("tenant rules with and without an authenticated caller", "[validation]") {
  SECTION("without a caller the event names its tenant") {
    auto e = sample_event();
    e.tenant = "";
    expect_rejected(e, RejectReason::kMissingField, "tenant");
  }
  SECTION("an empty tenant is filled from the caller") {
    auto e = sample_event();
    e.tenant = "";
    CHECK_FALSE(validate_event(e, "globex", kLimits, test_now()));
    CHECK(e.tenant == "globex");
  }
  SECTION("an equal tenant is fine") {
    auto e = sample_event();
    CHECK_FALSE(check(e, "acme"));
  }
  SECTION("a different tenant is a mismatch") {
    auto e = sample_event();
    expect_rejected(e, RejectReason::kTenantMismatch, "tenant", "globex");
  }
  SECTION("the tenant must be a slug") {
    auto e = sample_event();
    for (const char* bad : {"Acme", "-acme", "ac me", "acme!", "_x"}) {
      e.tenant = bad;
      INFO(bad);
      expect_rejected(e, RejectReason::kInvalidField, "tenant");
    }
    e.tenant = std::string(64, 'a');
    expect_rejected(e, RejectReason::kInvalidField, "tenant");
  }
}

TEST_CASE("tenant slug format", "[validation]") {
  CHECK(is_tenant_slug("acme"));
  CHECK(is_tenant_slug("0acme_east-1"));
  CHECK(is_tenant_slug(std::string(63, 'a')));
  CHECK_FALSE(is_tenant_slug(std::string(64, 'a')));
  CHECK_FALSE(is_tenant_slug(""));
  CHECK_FALSE(is_tenant_slug("ACME"));
  CHECK_FALSE(is_tenant_slug("acme.east"));
}

TEST_CASE("type is required and must be known", "[validation]") {
  auto e = sample_event();
  e.type = "";
  expect_rejected(e, RejectReason::kMissingField, "type");
  e.type = "quiz.taken";
  expect_rejected(e, RejectReason::kUnknownType, "type");
  e.type = "session.teleported";
  expect_rejected(e, RejectReason::kUnknownType, "type");
}

TEST_CASE("source is required, bounded and printable", "[validation]") {
  auto e = sample_event();
  e.source = "";
  expect_rejected(e, RejectReason::kMissingField, "source");
  e.source = std::string(257, 's');
  expect_rejected(e, RejectReason::kInvalidField, "source");
  e.source = "lms\nacme";
  expect_rejected(e, RejectReason::kInvalidField, "source");
  e.source = std::string(256, 's');
  CHECK_FALSE(check(e));
}

TEST_CASE("occurred_at is required, valid and not too far in the future", "[validation]") {
  auto e = sample_event();
  e.occurred_at.reset();
  expect_rejected(e, RejectReason::kMissingField, "occurred_at");

  e.occurred_at = ProtoTime{0, 1'000'000'000};
  expect_rejected(e, RejectReason::kInvalidField, "occurred_at");
  e.occurred_at = ProtoTime{253402300800, 0};  // year 10000
  expect_rejected(e, RejectReason::kInvalidField, "occurred_at");

  e.occurred_at = from_timestamp(test_now() + std::chrono::hours(24));
  CHECK_FALSE(check(e));
  e.occurred_at = from_timestamp(test_now() + std::chrono::hours(24) + std::chrono::seconds(1));
  expect_rejected(e, RejectReason::kInvalidField, "occurred_at");

  SECTION("the skew is configurable") {
    ValidationLimits strict;
    strict.max_future_skew = std::chrono::seconds(60);
    e.occurred_at = from_timestamp(test_now() + std::chrono::seconds(61));
    REQUIRE(check(e, {}, strict));
    e.occurred_at = from_timestamp(test_now() + std::chrono::seconds(60));
    CHECK_FALSE(check(e, {}, strict));
  }
  SECTION("the distant past is fine") {
    e.occurred_at = ProtoTime{0, 0};
    CHECK_FALSE(check(e));
  }
}

TEST_CASE("trace_id, when given, is a W3C trace id", "[validation]") {
  auto e = sample_event();
  e.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  CHECK_FALSE(check(e));
  e.trace_id = "4BF92F3577B34DA6A3CE929D0E0E4736";
  expect_rejected(e, RejectReason::kInvalidField, "trace_id");
  e.trace_id = std::string(32, '0');
  expect_rejected(e, RejectReason::kInvalidField, "trace_id");
  e.trace_id = "abc";
  expect_rejected(e, RejectReason::kInvalidField, "trace_id");
}

TEST_CASE("subject ids are bounded and printable", "[validation]") {
  auto e = sample_event();
  e.subject.course_id = std::string(257, 'c');
  expect_rejected(e, RejectReason::kInvalidField, "subject.course_id");
  e = sample_event();
  e.subject.tutor_id = "tu\ttor";
  expect_rejected(e, RejectReason::kInvalidField, "subject.tutor_id");
}

TEST_CASE("each type requires the subject ids it is about", "[validation]") {
  const std::map<std::string, std::vector<std::string>> expected = {
      {"xapi.statement", {"learner_id"}},
      {"quiz.submitted", {"learner_id"}},
      {"session.started", {"session_id"}},
      {"session.chat_message", {"session_id"}},
      {"ops.session_started", {"learner_id", "tutor_id"}},
      {"ops.session_completed", {"learner_id", "tutor_id"}},
      {"ops.ib_call_logged", {"learner_id"}},
      {"ops.tutor_availability_updated", {"tutor_id"}},
      {"ops.customer_health_update", {"learner_id"}},
      {"ops.supply_demand_update", {}},
  };
  for (const auto& [type, required] : expected) {
    INFO(type);
    for (const char* name : {"learner_id", "tutor_id", "session_id", "course_id"}) {
      auto e = sample_event(type);
      if (std::string(name) == "learner_id") e.subject.learner_id.clear();
      if (std::string(name) == "tutor_id") e.subject.tutor_id.clear();
      if (std::string(name) == "session_id") e.subject.session_id.clear();
      if (std::string(name) == "course_id") e.subject.course_id.clear();
      const bool needed = std::find(required.begin(), required.end(), name) != required.end();
      INFO(name);
      if (needed) {
        expect_rejected(e, RejectReason::kMissingField, std::string("subject.") + name);
      } else {
        CHECK_FALSE(check(e));
      }
    }
  }
  // Every session type requires the session id.
  for (const auto& spec : event_type_specs()) {
    if (!spec.type.starts_with("session.")) continue;
    auto e = sample_event(spec.type);
    e.subject.session_id.clear();
    expect_rejected(e, RejectReason::kMissingField, "subject.session_id");
  }
}

TEST_CASE("the payload must be set and match the type", "[validation]") {
  auto e = sample_event("quiz.submitted");
  e.payload = Payload{};
  expect_rejected(e, RejectReason::kMissingField, "payload");

  e = sample_event("quiz.submitted");
  e.payload = sample_payload("xapi.statement");
  expect_rejected(e, RejectReason::kPayloadMismatch, "payload.xapi_statement");

  e = sample_event("ops.session_started");
  e.payload = sample_payload("ops.session_completed");
  expect_rejected(e, RejectReason::kPayloadMismatch, "payload.tutoring_session_completed");

  SECTION("session.<detail> must match the class_session detail") {
    e = sample_event("session.participant_joined");
    e.payload = sample_payload("session.participant_left");
    expect_rejected(e, RejectReason::kPayloadMismatch, "payload.class_session");
    e.payload.fields = {field("class_session", MessagePresent{}), field("class_session.sequence", std::uint64_t{1})};
    expect_rejected(e, RejectReason::kPayloadMismatch, "payload.class_session");
    const auto r = check(e);
    CHECK(r->message.find("no detail") != std::string::npos);
  }
  SECTION("an empty detail message still counts as set") {
    e = sample_event("session.started");
    e.payload.fields = {field("class_session", MessagePresent{}), field("class_session.started", MessagePresent{})};
    CHECK_FALSE(check(e));
  }
}

TEST_CASE("quiz submission schema", "[validation][payload]") {
  const std::string p = "quiz_submission.";
  auto e = sample_event("quiz.submitted");
  SECTION("score above max_score") {
    set_field(e, p + "score", 10.5);
    expect_rejected(e, RejectReason::kInvalidField, "payload.quiz_submission.score");
  }
  SECTION("score equal to max_score and zero are fine") {
    set_field(e, p + "score", 10.0);
    CHECK_FALSE(check(e));
    remove_field(e, p + "score");
    CHECK_FALSE(check(e));
  }
  SECTION("negative score") {
    set_field(e, p + "score", -1.0);
    expect_rejected(e, RejectReason::kInvalidField, "payload.quiz_submission.score");
  }
  SECTION("max_score must be positive") {
    remove_field(e, p + "max_score");
    remove_field(e, p + "score");
    expect_rejected(e, RejectReason::kInvalidField, "payload.quiz_submission.max_score");
    set_field(e, p + "max_score", -3.0);
    expect_rejected(e, RejectReason::kInvalidField, "payload.quiz_submission.max_score");
  }
  SECTION("quiz_id is required") {
    remove_field(e, p + "quiz_id");
    expect_rejected(e, RejectReason::kMissingField, "payload.quiz_submission.quiz_id");
    set_field(e, p + "quiz_id", std::string());
    expect_rejected(e, RejectReason::kMissingField, "payload.quiz_submission.quiz_id");
  }
  SECTION("attempt_id is optional") {
    remove_field(e, p + "attempt_id");
    CHECK_FALSE(check(e));
  }
  SECTION("each question needs its id") {
    set_field(e, p + "questions[1]", MessagePresent{});
    set_field(e, p + "questions[1].correct", true);
    expect_rejected(e, RejectReason::kMissingField, "payload.quiz_submission.questions[1].question_id");
  }
  SECTION("numbers must be finite") {
    set_field(e, p + "score", std::numeric_limits<double>::quiet_NaN());
    expect_rejected(e, RejectReason::kInvalidField, "payload.quiz_submission.score");
    e = sample_event("quiz.submitted");
    set_field(e, p + "questions[0].points", std::numeric_limits<double>::infinity());
    expect_rejected(e, RejectReason::kInvalidField, "payload.quiz_submission.questions[0].points");
  }
}

TEST_CASE("xAPI statement shape", "[validation][payload]") {
  const std::string path = "xapi_statement.statement_json";
  const std::string field_path = "payload." + path;
  auto with = [&](std::string json) {
    auto e = sample_event("xapi.statement");
    set_field(e, path, std::move(json));
    return e;
  };
  CHECK_FALSE(check(with(R"({"actor":{},"verb":{"id":"http://x/v"},"object":{"id":"http://x/o"}})")));
  expect_rejected(with(""), RejectReason::kMissingField, field_path);
  expect_rejected(with("{not json"), RejectReason::kInvalidField, field_path);
  expect_rejected(with("[]"), RejectReason::kInvalidField, field_path);
  expect_rejected(with(R"("text")"), RejectReason::kInvalidField, field_path);
  expect_rejected(with(R"({"verb":{"id":"http://x/v"},"object":{}})"), RejectReason::kInvalidField, field_path);
  expect_rejected(with(R"({"actor":"ada","verb":{"id":"http://x/v"},"object":{}})"), RejectReason::kInvalidField,
                  field_path);
  expect_rejected(with(R"({"actor":{},"verb":{},"object":{}})"), RejectReason::kInvalidField, field_path);
  expect_rejected(with(R"({"actor":{},"verb":{"id":""},"object":{}})"), RejectReason::kInvalidField, field_path);
  expect_rejected(with(R"({"actor":{},"verb":{"id":"http://x/v"}})"), RejectReason::kInvalidField, field_path);

  auto e = sample_event("xapi.statement");
  for (const char* ok : {"1.0", "1.0.3", "2.0.0", ""}) {
    set_field(e, "xapi_statement.version", std::string(ok));
    INFO(ok);
    CHECK_FALSE(check(e));
  }
  for (const char* bad : {"3.0", "1.0.", "1.0.x", "1.1.0", "latest"}) {
    set_field(e, "xapi_statement.version", std::string(bad));
    INFO(bad);
    expect_rejected(e, RejectReason::kInvalidField, "payload.xapi_statement.version");
  }
}

TEST_CASE("ranges of ops payloads", "[validation][payload]") {
  struct Case {
    std::string type, path;
    FieldValue ok, bad;
  };
  const std::vector<Case> cases = {
      {"ops.tutor_availability_updated", "tutor_availability_updated.hour", std::uint64_t{23}, std::uint64_t{24}},
      {"ops.tutor_availability_updated", "tutor_availability_updated.weekday", std::uint64_t{6}, std::uint64_t{7}},
      {"ops.supply_demand_update", "supply_demand_update.hour", std::uint64_t{0}, std::uint64_t{24}},
      {"ops.customer_health_update", "customer_health_update.health_score", 0.0, 100.5},
      {"ops.customer_health_update", "customer_health_update.health_score", 100.0, -0.1},
      {"ops.customer_health_update", "customer_health_update.session_velocity", 0.0, -1.0},
      {"ops.session_completed", "tutoring_session_completed.rating", std::uint64_t{0}, std::uint64_t{6}},
      {"session.scheduled", "class_session.scheduled.planned_minutes", std::uint64_t{1440}, std::uint64_t{1441}},
  };
  for (const auto& c : cases) {
    INFO(c.type << " " << c.path);
    auto e = sample_event(c.type);
    set_field(e, c.path, c.ok);
    CHECK_FALSE(check(e));
    set_field(e, c.path, c.bad);
    expect_rejected(e, RejectReason::kInvalidField, "payload." + c.path);
  }
}

TEST_CASE("required payload ids and texts", "[validation][payload]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"session.scheduled", "class_session.scheduled.starts_at"},
      {"session.participant_joined", "class_session.participant_joined.participant_id"},
      {"session.participant_left", "class_session.participant_left.participant_id"},
      {"session.scene_changed", "class_session.scene_changed.scene_id"},
      {"session.slide_changed", "class_session.slide_changed.deck_id"},
      {"session.chat_message", "class_session.chat_message.message_id"},
      {"session.chat_message", "class_session.chat_message.author_id"},
      {"session.chat_message", "class_session.chat_message.text"},
      {"session.question_asked", "class_session.question_asked.question_id"},
      {"session.question_asked", "class_session.question_asked.text"},
      {"session.question_answered", "class_session.question_answered.answerer_id"},
      {"session.poll_created", "class_session.poll_created.poll_id"},
      {"session.poll_created", "class_session.poll_created.question"},
      {"session.poll_voted", "class_session.poll_voted.voter_id"},
      {"session.poll_closed", "class_session.poll_closed.poll_id"},
      {"session.transcript_segment", "class_session.transcript_segment.speaker_id"},
      {"session.transcript_segment", "class_session.transcript_segment.text"},
      {"ops.session_started", "tutoring_session_started.subject_area"},
      {"ops.session_completed", "tutoring_session_completed.subject_area"},
      {"ops.session_completed", "tutoring_session_completed.outcome"},
      {"ops.ib_call_logged", "ib_call_logged.call_id"},
      {"ops.tutor_availability_updated", "tutor_availability_updated.subject_area"},
      {"ops.supply_demand_update", "supply_demand_update.subject_area"},
  };
  for (const auto& [type, path] : cases) {
    INFO(type << " " << path);
    auto e = sample_event(type);
    remove_field(e, path);
    expect_rejected(e, RejectReason::kMissingField, "payload." + path);
  }
}

TEST_CASE("enumerated strings", "[validation][payload]") {
  struct Case {
    std::string type, path, ok, bad;
    bool optional;
  };
  const std::vector<Case> cases = {
      {"session.participant_joined", "class_session.participant_joined.role", "observer", "admin", true},
      {"session.participant_joined", "class_session.participant_joined.device", "mr", "fax", true},
      {"session.participant_left", "class_session.participant_left.reason", "removed", "bored", true},
      {"ops.session_completed", "tutoring_session_completed.outcome", "no_show_tutor", "done", false},
      {"ops.ib_call_logged", "ib_call_logged.reason", "cancel_request", "weather", true},
      {"ops.ib_call_logged", "ib_call_logged.sentiment", "neutral", "angry", true},
  };
  for (const auto& c : cases) {
    INFO(c.type << " " << c.path);
    auto e = sample_event(c.type);
    set_field(e, c.path, c.ok);
    CHECK_FALSE(check(e));
    set_field(e, c.path, c.bad);
    expect_rejected(e, RejectReason::kInvalidField, "payload." + c.path);
    remove_field(e, c.path);
    if (c.optional) {
      CHECK_FALSE(check(e));
    } else {
      expect_rejected(e, RejectReason::kMissingField, "payload." + c.path);
    }
  }
}

TEST_CASE("poll options and transcript timing", "[validation][payload]") {
  auto e = sample_event("session.poll_created");
  remove_field(e, "class_session.poll_created.options[1]");
  expect_rejected(e, RejectReason::kInvalidField, "payload.class_session.poll_created.options");
  remove_field(e, "class_session.poll_created.options[0]");
  expect_rejected(e, RejectReason::kMissingField, "payload.class_session.poll_created.options");

  e = sample_event("session.transcript_segment");
  set_field(e, "class_session.transcript_segment.end_ms", std::uint64_t{999});
  expect_rejected(e, RejectReason::kInvalidField, "payload.class_session.transcript_segment.end_ms");
  set_field(e, "class_session.transcript_segment.end_ms", std::uint64_t{1000});
  CHECK_FALSE(check(e));
}

TEST_CASE("times inside the payload must be valid", "[validation][payload]") {
  auto e = sample_event("ops.session_started");
  set_field(e, "tutoring_session_started.booked_for", ProtoTime{1, -5});
  expect_rejected(e, RejectReason::kInvalidField, "payload.tutoring_session_started.booked_for");
}

TEST_CASE("rejection messages are sentences a person can act on", "[validation]") {
  auto e = sample_event("quiz.submitted");
  set_field(e, "quiz_submission.score", 12.0);
  const auto r = check(e);
  REQUIRE(r);
  CHECK(r->message == "payload.quiz_submission.score must be between 0 and max_score (10); got 12.");

  e = sample_event("ops.tutor_availability_updated");
  set_field(e, "tutor_availability_updated.hour", std::uint64_t{24});
  CHECK(check(e)->message == "payload.tutor_availability_updated.hour must be between 0 and 23; got 24.");
}
