// The protobuf <-> domain mapping and the HTTP body decoding (no servers involved).
#include <catch2/catch.hpp>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <nlohmann/json.hpp>

#include "adapters/pg_accepted_event_ledger.h"
#include "adapters/proto_event_codec.h"
#include "domain/content_hash.h"
#include "domain/validation.h"
#include "edfleet/core/time_format.h"
#include "transport/http_routes.h"

using namespace edfleet;
using namespace edfleet::ingest;
using google::protobuf::util::MessageDifferencer;

namespace {

const core::Timestamp kNow = *core::parse_rfc3339("2026-11-25T09:30:00Z");

events::v1::Event quiz_event() {
  events::v1::Event e;
  e.set_id("3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b");
  e.set_tenant("acme");
  e.set_type("quiz.submitted");
  e.set_source("lms.acme.example");
  e.mutable_subject()->set_learner_id("learner-1");
  e.mutable_occurred_at()->set_seconds(1795000000);
  e.mutable_occurred_at()->set_nanos(123000);
  auto* q = e.mutable_quiz_submission();
  q->set_quiz_id("quiz-1");
  q->set_score(7.5);
  q->set_max_score(10);
  q->set_passed(true);
  auto* question = q->add_questions();
  question->set_question_id("q1");
  question->set_points(1);
  q->add_questions()->set_question_id("q2");
  return e;
}

const FieldValue* find(const EventEnvelope& e, const std::string& path) { return e.payload.find(path); }

}  // namespace

TEST_CASE("to_domain flattens the payload with typed values", "[codec]") {
  auto domain = to_domain(quiz_event());
  CHECK(domain.id == "3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b");
  CHECK(domain.subject.learner_id == "learner-1");
  REQUIRE(domain.occurred_at);
  CHECK(domain.occurred_at->nanos == 123000);
  CHECK_FALSE(domain.received_at);
  CHECK(domain.payload.kind == "quiz_submission");
  REQUIRE(find(domain, "quiz_submission"));
  CHECK(std::holds_alternative<MessagePresent>(*find(domain, "quiz_submission")));
  CHECK(std::get<std::string>(*find(domain, "quiz_submission.quiz_id")) == "quiz-1");
  CHECK(std::get<double>(*find(domain, "quiz_submission.score")) == 7.5);
  CHECK(std::get<bool>(*find(domain, "quiz_submission.passed")));
  CHECK(std::holds_alternative<MessagePresent>(*find(domain, "quiz_submission.questions[1]")));
  CHECK(std::get<std::string>(*find(domain, "quiz_submission.questions[1].question_id")) == "q2");
  CHECK(find(domain, "quiz_submission.attempt_id") == nullptr);  // unset: absent
  CHECK(find(domain, "quiz_submission.duration_seconds") == nullptr);
  CHECK(domain.serialized_size == quiz_event().ByteSizeLong());
  CHECK_FALSE(validate_event(domain, {}, {}, kNow));
}

TEST_CASE("to_domain sees empty details, timestamps and unsigned numbers", "[codec]") {
  events::v1::Event e;
  e.mutable_class_session()->mutable_started();
  auto d = to_domain(e);
  CHECK(d.payload.kind == "class_session");
  REQUIRE(find(d, "class_session.started"));
  CHECK(std::holds_alternative<MessagePresent>(*find(d, "class_session.started")));

  events::v1::Event s;
  auto* scheduled = s.mutable_class_session()->mutable_scheduled();
  scheduled->mutable_starts_at()->set_seconds(42);
  scheduled->set_planned_minutes(45);
  s.mutable_class_session()->set_sequence(7);
  d = to_domain(s);
  CHECK(std::get<ProtoTime>(*find(d, "class_session.scheduled.starts_at")) == ProtoTime{42, 0});
  CHECK(std::get<std::uint64_t>(*find(d, "class_session.scheduled.planned_minutes")) == 45);
  CHECK(std::get<std::uint64_t>(*find(d, "class_session.sequence")) == 7);

  events::v1::Event none;
  CHECK(to_domain(none).payload.kind.empty());
}

TEST_CASE("to_proto rebuilds the validated event with the stamped fields", "[codec]") {
  const auto original = quiz_event();
  auto domain = to_domain(original);
  auto rebuilt = to_proto(domain);
  CHECK(MessageDifferencer::Equals(original, rebuilt));

  domain.tenant = "globex";
  domain.received_at = ProtoTime{1795000100, 5000};
  domain.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  rebuilt = to_proto(domain);
  CHECK(rebuilt.tenant() == "globex");
  CHECK(rebuilt.received_at().seconds() == 1795000100);
  CHECK(rebuilt.trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(MessageDifferencer::Equals(rebuilt.quiz_submission(), original.quiz_submission()));
}

TEST_CASE("unknown payload fields are dropped, not published", "[codec]") {
  auto e = quiz_event();
  e.mutable_quiz_submission()->GetReflection()->MutableUnknownFields(e.mutable_quiz_submission())->AddVarint(999, 1);
  const auto rebuilt = to_proto(to_domain(e));
  CHECK(rebuilt.quiz_submission().GetReflection()->GetUnknownFields(rebuilt.quiz_submission()).empty());
}

TEST_CASE("the content hash survives a wire round trip", "[codec]") {
  const auto e = quiz_event();
  events::v1::Event parsed;
  REQUIRE(parsed.ParseFromString(e.SerializeAsString()));
  CHECK(content_hash(to_domain(parsed)) == content_hash(to_domain(e)));
  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(e, &json).ok());
  events::v1::Event from_json;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &from_json).ok());
  CHECK(content_hash(to_domain(from_json)) == content_hash(to_domain(e)));
}

TEST_CASE("HTTP bodies: one event or an array, both field name styles", "[http]") {
  const std::string camel = R"({"id":"3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b","tenant":"acme","type":"quiz.submitted",
    "source":"lms","subject":{"learnerId":"l1"},"occurredAt":"2026-11-25T09:00:00Z",
    "quizSubmission":{"quizId":"q","score":1,"maxScore":2}})";
  const std::string snake = R"({"id":"3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6c","tenant":"acme","type":"quiz.submitted",
    "source":"lms","subject":{"learner_id":"l1"},"occurred_at":"2026-11-25T10:00:00+01:00",
    "quiz_submission":{"quiz_id":"q","score":1,"max_score":2}})";
  auto one = decode_http_events(camel, 1000);
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  REQUIRE((*one)[0].event);
  CHECK((*one)[0].event->subject.learner_id == "l1");

  auto many = decode_http_events("[" + camel + "," + snake + "]", 1000);
  REQUIRE(many.ok());
  REQUIRE(many->size() == 2);
  for (auto& decoded : *many) {
    REQUIRE(decoded.event);
    CHECK_FALSE(validate_event(*decoded.event, {}, {}, kNow));
  }
  // Same instant, two spellings.
  CHECK((*many)[0].event->occurred_at == (*many)[1].event->occurred_at);

  auto empty = decode_http_events("[]", 1000);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("HTTP bodies: whole-body errors", "[http]") {
  CHECK(decode_http_events("{not json", 10).error().code == core::ErrorCode::kInvalidArgument);
  CHECK(decode_http_events("", 10).error().code == core::ErrorCode::kInvalidArgument);
  CHECK(decode_http_events("42", 10).error().code == core::ErrorCode::kInvalidArgument);
  CHECK(decode_http_events(R"("event")", 10).error().code == core::ErrorCode::kInvalidArgument);
  CHECK(decode_http_events("[{},{},{}]", 2).error().code == core::ErrorCode::kTooLarge);
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  CHECK(decode_http_events(deep, 10).error().code == core::ErrorCode::kInvalidArgument);
}

TEST_CASE("HTTP bodies: a bad element is rejected on its own", "[http]") {
  auto result = decode_http_events(
      R"([17, {"id":"3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b","tenatn":"acme"}, {"occurredAt":"yesterday"}, {"type":"x"}])",
      10);
  REQUIRE(result.ok());
  REQUIRE(result->size() == 4);
  CHECK_FALSE((*result)[0].event);
  CHECK((*result)[0].rejected.reason == RejectReason::kInvalidField);
  CHECK_FALSE((*result)[1].event);
  CHECK((*result)[1].rejected.id == "3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b");
  CHECK((*result)[1].rejected.message.find("tenatn") != std::string::npos);
  CHECK_FALSE((*result)[2].event);
  REQUIRE((*result)[3].event);  // decodes; validation rejects it later
}

TEST_CASE("HTTP bodies: an xAPI statement as a JSON object", "[http]") {
  const std::string prefix = R"({"id":"3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b","tenant":"acme","type":"xapi.statement",
    "source":"lrs","subject":{"learnerId":"l1"},"occurredAt":"2026-11-25T09:00:00Z",)";
  for (const char* key : {"xapiStatement", "xapi_statement"}) {
    INFO(key);
    const std::string body = prefix + "\"" + key +
                             R"(":{"version":"1.0.3","statement":{"actor":{"mbox":"mailto:a@b.c"},)"
                             R"("verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://x/1"}}}})";
    auto result = decode_http_events(body, 10);
    REQUIRE(result.ok());
    REQUIRE((*result)[0].event);
    auto& event = *(*result)[0].event;
    const auto json = nlohmann::json::parse(std::get<std::string>(*event.payload.find("xapi_statement.statement_json")));
    CHECK(json["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed");
    CHECK_FALSE(validate_event(event, {}, {}, kNow));
  }
  SECTION("statementJson text still works") {
    auto result = decode_http_events(
        prefix + R"("xapiStatement":{"statementJson":"{\"actor\":{},\"verb\":{\"id\":\"v\"},\"object\":{}}"}})", 10);
    REQUIRE((*result)[0].event);
    CHECK_FALSE(validate_event(*(*result)[0].event, {}, {}, kNow));
  }
  SECTION("both forms, or a non-object statement, are rejected") {
    auto both = decode_http_events(prefix + R"("xapiStatement":{"statementJson":"{}","statement":{}}})", 10);
    CHECK_FALSE((*both)[0].event);
    CHECK((*both)[0].rejected.field == "payload.xapi_statement.statement");
    auto text = decode_http_events(prefix + R"("xapiStatement":{"statement":"{}"}})", 10);
    CHECK_FALSE((*text)[0].event);
  }
}

TEST_CASE("postgres array literals quote and escape", "[pg]") {
  CHECK(pg_array_literal({}) == "{}");
  CHECK(pg_array_literal({"a", "b c"}) == R"({"a","b c"})");
  CHECK(pg_array_literal({R"(x"y\z)", ""}) == R"({"x\"y\\z",""})");
}
