// edfleet-ingest end to end: the built binary against the test binary's embedded Kafka and Postgres.
// Publishes mixed batches over gRPC and HTTP, reads edfleet.events.v1 back and checks that exactly
// the valid, unique events are there, once each, with the right key and CloudEvents headers; that a
// re-publish is all duplicates and adds nothing; and that a Kafka outage gives "unavailable".
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/core/time_format.h"
#include "edfleet/testing/internal_auth.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/ingest/v1/ingest.grpc.pb.h"
#include "edfleet/kafka/message.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/testing/testing.h"

using namespace edfleet;
namespace v1 = edfleet::ingest::v1;
using edfleet::events::v1::Event;

namespace {

constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

testing::ServiceProcess start_ingest(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> env = {
      {"EDFLEET_INGEST_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
      {"EDFLEET_INGEST_POSTGRES_URL", testing::fresh_database("ingest")},
      {"EDFLEET_INGEST_KAFKA_TIMEOUT", "3s"},
      {"EDFLEET_INGEST_MAX_BATCH_EVENTS", "50"},
      {"EDFLEET_INGEST_MAX_HTTP_BODY_BYTES", "262144"},
  };
  for (auto& [k, v] : extra) env[k] = v;
  return testing::ServiceProcess("edfleet-ingest", env);
}

std::string uuid(int tenant_no, int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08d-0000-4000-8000-%012d", tenant_no, n);
  return buffer;
}

void set_time(google::protobuf::Timestamp* t, std::string_view rfc3339) {
  const auto ts = *core::parse_rfc3339(rfc3339);
  const auto micros = ts.time_since_epoch().count();
  t->set_seconds(micros / 1000000);
  t->set_nanos(static_cast<int>(micros % 1000000) * 1000);
}

Event base_event(const std::string& id, const std::string& tenant, const std::string& type) {
  Event e;
  e.set_id(id);
  e.set_tenant(tenant);
  e.set_type(type);
  e.set_source("lms.example");
  e.mutable_subject()->set_learner_id("learner-1");
  e.mutable_subject()->set_course_id("course-1");
  set_time(e.mutable_occurred_at(), "2024-05-01T10:00:00Z");
  return e;
}

Event quiz(const std::string& id, const std::string& tenant, double score = 8) {
  Event e = base_event(id, tenant, "quiz.submitted");
  auto* q = e.mutable_quiz_submission();
  q->set_quiz_id("quiz-1");
  q->set_score(score);
  q->set_max_score(10);
  return e;
}

Event xapi(const std::string& id, const std::string& tenant) {
  Event e = base_event(id, tenant, "xapi.statement");
  e.mutable_xapi_statement()->set_statement_json(
      R"({"actor":{"mbox":"mailto:ada@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},)"
      R"("object":{"id":"https://lms.example/course/1"}})");
  e.mutable_xapi_statement()->set_version("1.0.3");
  return e;
}

Event chat(const std::string& id, const std::string& tenant) {
  Event e = base_event(id, tenant, "session.chat_message");
  e.clear_subject();
  e.mutable_subject()->set_session_id("session-7");
  auto* c = e.mutable_class_session()->mutable_chat_message();
  c->set_message_id("m1");
  c->set_author_id("learner-1");
  c->set_text("hello");
  return e;
}

// The records of one tenant (keys start with "<tenant>/").
std::vector<kafka::ConsumedMessage> records_of(const std::string& tenant) {
  std::vector<kafka::ConsumedMessage> out;
  for (auto& m : testing::read_topic(std::string(contracts::kEventsTopic))) {
    if (m.key.starts_with(tenant + "/")) out.push_back(std::move(m));
  }
  return out;
}

std::map<std::string, int> count_ids(const std::vector<kafka::ConsumedMessage>& records) {
  std::map<std::string, int> counts;
  for (const auto& m : records) ++counts[m.header("ce_id").value_or("?")];
  return counts;
}

std::unique_ptr<v1::IngestService::Stub> stub_for(const testing::ServiceProcess& ingest) {
  return v1::IngestService::NewStub(
      ::grpc::CreateChannel("127.0.0.1:" + std::to_string(ingest.grpc_port()), ::grpc::InsecureChannelCredentials()));
}

::grpc::Status publish(v1::IngestService::Stub& stub, const std::vector<Event>& events, const std::string& tenant,
                       v1::PublishResponse& response) {
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
  edfleet::grpc::set_traceparent(context, kTraceparent);
  v1::PublishRequest request;
  for (const auto& e : events) *request.add_events() = e;
  return stub.Publish(&context, request, &response);
}

}  // namespace

TEST_CASE("gRPC: a mixed batch publishes exactly the valid unique events", "[integration][grpc]") {
  auto ingest = start_ingest();
  auto stub = stub_for(ingest);
  const std::string tenant = "grpc-tenant";

  Event no_tenant = chat(uuid(1, 3), "");            // filled from the metadata
  Event bad_score = quiz(uuid(1, 4), tenant, 11);    // score above max_score
  Event unknown = quiz(uuid(1, 5), tenant);
  unknown.set_type("quiz.graded");
  Event other_tenant = quiz(uuid(1, 6), "someone-else");
  Event mismatch = quiz(uuid(1, 7), tenant);
  mismatch.set_type("xapi.statement");               // payload does not match
  Event reused = quiz(uuid(1, 1), tenant, 2);         // same id as the first, other content
  const std::vector<Event> batch = {quiz(uuid(1, 1), tenant), xapi(uuid(1, 2), tenant), no_tenant, bad_score,
                                    quiz(uuid(1, 1), tenant), unknown, other_tenant, mismatch, reused};

  v1::PublishResponse first;
  REQUIRE(publish(*stub, batch, tenant, first).ok());
  REQUIRE(first.results_size() == 9);
  auto expect = [](const v1::EventResult& r, bool accepted, bool duplicate, v1::RejectReason reason,
                   const std::string& field) {
    INFO(r.DebugString());
    CHECK(r.accepted() == accepted);
    CHECK(r.duplicate() == duplicate);
    CHECK(r.reason() == reason);
    CHECK(r.field() == field);
    if (!accepted) CHECK_FALSE(r.message().empty());
  };
  expect(first.results(0), true, false, v1::REJECT_REASON_UNSPECIFIED, "");
  expect(first.results(1), true, false, v1::REJECT_REASON_UNSPECIFIED, "");
  expect(first.results(2), true, false, v1::REJECT_REASON_UNSPECIFIED, "");
  expect(first.results(3), false, false, v1::REJECT_REASON_INVALID_FIELD, "payload.quiz_submission.score");
  expect(first.results(4), true, true, v1::REJECT_REASON_UNSPECIFIED, "");
  expect(first.results(5), false, false, v1::REJECT_REASON_UNKNOWN_TYPE, "type");
  expect(first.results(6), false, false, v1::REJECT_REASON_TENANT_MISMATCH, "tenant");
  expect(first.results(7), false, false, v1::REJECT_REASON_PAYLOAD_MISMATCH, "payload.quiz_submission");
  expect(first.results(8), false, false, v1::REJECT_REASON_ID_REUSED, "id");
  CHECK(first.results(3).id() == uuid(1, 4));
  CHECK(first.accepted() == 4);
  CHECK(first.rejected() == 5);

  auto records = records_of(tenant);
  CHECK(count_ids(records) == std::map<std::string, int>{{uuid(1, 1), 1}, {uuid(1, 2), 1}, {uuid(1, 3), 1}});
  for (const auto& m : records) {
    Event event;
    REQUIRE(event.ParseFromString(m.value));
    INFO(event.DebugString());
    CHECK(m.header("ce_specversion") == "1.0");
    CHECK(m.header("ce_id") == event.id());
    CHECK(m.header("ce_type") == event.type());
    CHECK(m.header("ce_source") == "lms.example");
    CHECK(m.header("ce_time") == "2024-05-01T10:00:00Z");
    CHECK(m.header("content-type") == "application/protobuf");
    CHECK(event.tenant() == tenant);
    CHECK(event.has_received_at());
    CHECK(event.trace_id() == kTraceId);
    if (event.type() == "session.chat_message") {
      CHECK(m.key == tenant + "/session-7");
      CHECK(m.header("ce_subject") == "session-7");
      CHECK(event.class_session().chat_message().text() == "hello");
    } else {
      CHECK(m.key == tenant + "/learner-1");
      CHECK(m.header("ce_subject") == "learner-1");
    }
  }

  // Steps below run in order on the same service (one topic, one ledger), so no SECTIONs.
  {
    INFO("re-publishing the batch: same results with duplicate set, nothing new on the topic");
    v1::PublishResponse second;
    REQUIRE(publish(*stub, batch, tenant, second).ok());
    REQUIRE(second.results_size() == 9);
    for (int i = 0; i < 9; ++i) {
      INFO(i);
      CHECK(second.results(i).accepted() == first.results(i).accepted());
      CHECK(second.results(i).reason() == first.results(i).reason());
      CHECK(second.results(i).duplicate() == first.results(i).accepted());
    }
    CHECK(records_of(tenant).size() == 3);
  }
  {
    INFO("metrics count outcomes");
    const auto scrape = [&](const std::string& name, const testing::MetricLabels& labels) {
      return testing::scrape_metric(ingest.http_port(), name, labels);
    };
    CHECK(scrape("edfleet_ingest_events_total", {{"outcome", "accepted"}}) == 3);
    CHECK(scrape("edfleet_ingest_events_total", {{"outcome", "duplicate"}}) == 5);
    CHECK(scrape("edfleet_ingest_events_total", {{"outcome", "rejected"}}) == 10);
    CHECK(scrape("edfleet_ingest_rejections_total", {{"reason", "id_reused"}}) == 2);
    CHECK(scrape("edfleet_ingest_publish_seconds_count", {}) > 0);
  }
  {
    INFO("more events than the batch limit is refused as a whole");
    std::vector<Event> many;
    for (int i = 0; i < 51; ++i) many.push_back(quiz(uuid(1, 100 + i), tenant));
    v1::PublishResponse response;
    const auto status = publish(*stub, many, tenant, response);
    CHECK(status.error_code() == ::grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(records_of(tenant).size() == 3);
  }
  {
    INFO("an internal service (signed, no tenant): the event must name its tenant");
    ::grpc::ClientContext context;
    edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {"", "service:tests", ""});
    v1::PublishRequest request;
    *request.add_events() = chat(uuid(1, 20), "");
    *request.add_events() = chat(uuid(1, 21), tenant);
    v1::PublishResponse response;
    REQUIRE(stub->Publish(&context, request, &response).ok());
    CHECK(response.results(0).reason() == v1::REJECT_REASON_MISSING_FIELD);
    CHECK(response.results(0).field() == "tenant");
    CHECK(response.results(1).accepted());
    const auto ids = count_ids(records_of(tenant));
    CHECK(ids.size() == 4);
    CHECK(ids.count(uuid(1, 21)) == 1);
  }
  {
    INFO("the ledger survives a restart: still duplicates, still nothing new");
    ingest.restart();
    auto fresh_stub = stub_for(ingest);
    v1::PublishResponse again;
    REQUIRE(publish(*fresh_stub, {quiz(uuid(1, 1), tenant), quiz(uuid(1, 1), tenant, 3)}, tenant, again).ok());
    CHECK(again.results(0).duplicate());
    CHECK(again.results(1).reason() == v1::REJECT_REASON_ID_REUSED);
    CHECK(records_of(tenant).size() == 4);
  }
}

TEST_CASE("HTTP: POST /v1/events with a mixed array", "[integration][http]") {
  auto ingest = start_ingest();
  httplib::Client http("127.0.0.1", ingest.http_port());
  const std::string tenant = "http-tenant";
  const auto headers =
      edfleet::testing::with_identity<httplib::Headers>({tenant, "", ""}, {{"traceparent", kTraceparent}});

  const nlohmann::json body = nlohmann::json::array({
      // lowerCamel names, tenant left to the header
      {{"id", uuid(2, 1)},
       {"type", "quiz.submitted"},
       {"source", "lms.example"},
       {"subject", {{"learnerId", "learner-9"}}},
       {"occurredAt", "2024-05-01T12:00:00+02:00"},
       {"quizSubmission", {{"quizId", "quiz-1"}, {"score", 3}, {"maxScore", 5}}}},
      // original field names, an xAPI statement as a JSON object
      {{"id", uuid(2, 2)},
       {"tenant", tenant},
       {"type", "xapi.statement"},
       {"source", "lrs.example"},
       {"subject", {{"learner_id", "learner-9"}}},
       {"occurred_at", "2024-05-01T10:00:01Z"},
       {"xapi_statement",
        {{"version", "1.0.3"},
         {"statement",
          {{"actor", {{"mbox", "mailto:ada@example.com"}}},
           {"verb", {{"id", "http://adlnet.gov/expapi/verbs/completed"}}},
           {"object", {{"id", "https://lms.example/course/1"}}}}}}}},
      // not an event
      42,
      // a misspelt field
      {{"id", uuid(2, 4)}, {"tennant", tenant}},
      // invalid: hour out of range
      {{"id", uuid(2, 5)},
       {"type", "ops.supply_demand_update"},
       {"source", "ops"},
       {"occurredAt", "2024-05-01T10:00:00Z"},
       {"supplyDemandUpdate", {{"subjectArea", "algebra"}, {"hour", 24}}}},
      // an identical copy of the first
      {{"id", uuid(2, 1)},
       {"type", "quiz.submitted"},
       {"source", "lms.example"},
       {"subject", {{"learnerId", "learner-9"}}},
       {"occurredAt", "2024-05-01T10:00:00Z"},
       {"quizSubmission", {{"quizId", "quiz-1"}, {"score", 3}, {"maxScore", 5}}}},
  });

  auto res = http.Post("/v1/events", headers, body.dump(), "application/json");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  const auto first = nlohmann::json::parse(res->body);
  REQUIRE(first["results"].size() == 6);
  CHECK(first["accepted"] == 3);
  CHECK(first["rejected"] == 3);
  const auto& r = first["results"];
  CHECK(r[0] == nlohmann::json{{"id", uuid(2, 1)}, {"accepted", true}, {"duplicate", false},
                               {"reason", "REJECT_REASON_UNSPECIFIED"}, {"field", ""}, {"message", ""}});
  CHECK(r[1]["accepted"] == true);
  CHECK(r[2]["reason"] == "REJECT_REASON_INVALID_FIELD");
  CHECK(r[3]["reason"] == "REJECT_REASON_INVALID_FIELD");
  CHECK(r[3]["id"] == uuid(2, 4));
  CHECK(r[4]["reason"] == "REJECT_REASON_INVALID_FIELD");
  CHECK(r[4]["field"] == "payload.supply_demand_update.hour");
  CHECK(r[4]["message"] == "payload.supply_demand_update.hour must be between 0 and 23; got 24.");
  CHECK(r[5]["accepted"] == true);
  CHECK(r[5]["duplicate"] == true);  // the same instant written in another zone is the same content

  auto records = records_of(tenant);
  CHECK(count_ids(records) == std::map<std::string, int>{{uuid(2, 1), 1}, {uuid(2, 2), 1}});
  for (const auto& m : records) {
    Event event;
    REQUIRE(event.ParseFromString(m.value));
    CHECK(m.key == tenant + "/learner-9");
    CHECK(event.tenant() == tenant);
    CHECK(event.trace_id() == kTraceId);
    CHECK(m.header("ce_type") == event.type());
    if (event.type() == "xapi.statement") {
      const auto statement = nlohmann::json::parse(event.xapi_statement().statement_json());
      CHECK(statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed");
      CHECK(event.xapi_statement().version() == "1.0.3");
    }
  }

  // Steps below run in order on the same service, so no SECTIONs.
  {
    INFO("re-posting: duplicates, nothing new");
    auto again = http.Post("/v1/events", headers, body.dump(), "application/json");
    REQUIRE(again);
    REQUIRE(again->status == 200);
    const auto second = nlohmann::json::parse(again->body);
    for (std::size_t i = 0; i < 6; ++i) {
      INFO(i);
      CHECK(second["results"][i]["accepted"] == first["results"][i]["accepted"]);
      CHECK(second["results"][i]["duplicate"] == first["results"][i]["accepted"]);
    }
    CHECK(records_of(tenant).size() == 2);
  }
  {
    INFO("a single event object");
    const nlohmann::json one = {{"id", uuid(2, 10)},
                                {"type", "ops.tutor_availability_updated"},
                                {"source", "ops"},
                                {"subject", {{"tutorId", "tutor-3"}}},
                                {"occurredAt", "2024-05-01T10:00:00Z"},
                                {"tutorAvailabilityUpdated", {{"subjectArea", "algebra"}, {"weekday", 6}, {"hour", 9}}}};
    auto single = http.Post("/v1/events", headers, one.dump(), "application/json");
    REQUIRE(single);
    CHECK(single->status == 200);
    CHECK(nlohmann::json::parse(single->body)["results"][0]["accepted"] == true);
    const auto records_now = records_of(tenant);
    CHECK(records_now.size() == 3);
    for (const auto& m : records_now) {
      if (m.header("ce_id") == uuid(2, 10)) CHECK(m.key == tenant + "/tutor-3");
    }
  }
  {
    INFO("tenant header mismatch");
    auto other = http.Post("/v1/events", edfleet::testing::with_identity<httplib::Headers>({"intruder", "", ""}), body[1].dump(), "application/json");
    REQUIRE(other);
    CHECK(other->status == 200);
    CHECK(nlohmann::json::parse(other->body)["results"][0]["reason"] == "REJECT_REASON_TENANT_MISMATCH");
  }
  {
    INFO("bodies that are not events: 400, oversized: 413, wrong content type: 415");
    auto bad = http.Post("/v1/events", headers, "{not json", "application/json");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(nlohmann::json::parse(bad->body)["error"]["code"] == "INVALID_ARGUMENT");
    auto scalar = http.Post("/v1/events", headers, "\"hello\"", "application/json");
    REQUIRE(scalar);
    CHECK(scalar->status == 400);

    auto big = http.Post("/v1/events", headers, std::string(300 * 1024, ' ') + "[]", "application/json");
    REQUIRE(big);
    CHECK(big->status == 413);

    nlohmann::json many = nlohmann::json::array();
    for (int i = 0; i < 51; ++i) many.push_back(body[0]);
    auto too_many = http.Post("/v1/events", headers, many.dump(), "application/json");
    REQUIRE(too_many);
    CHECK(too_many->status == 413);
    CHECK(nlohmann::json::parse(too_many->body)["error"]["code"] == "RESOURCE_EXHAUSTED");

    auto text = http.Post("/v1/events", headers, body.dump(), "text/plain");
    REQUIRE(text);
    CHECK(text->status == 415);
    CHECK(records_of(tenant).size() == 3);
  }
}

// Last: it takes the shared broker down.
TEST_CASE("Kafka outage: events are unavailable, not recorded, and accepted once Kafka is back",
          "[integration][outage]") {
  auto ingest = start_ingest({{"EDFLEET_INGEST_KAFKA_TIMEOUT", "1s"}});
  auto stub = stub_for(ingest);
  httplib::Client http("127.0.0.1", ingest.http_port());
  const std::string tenant = "outage-tenant";

  // Warm up so the producer knows the cluster.
  v1::PublishResponse warm;
  REQUIRE(publish(*stub, {quiz(uuid(3, 1), tenant)}, tenant, warm).ok());
  REQUIRE(warm.results(0).accepted());

  testing::shared_broker().set_all_brokers_down();
  v1::PublishResponse down;
  REQUIRE(publish(*stub, {quiz(uuid(3, 2), tenant), quiz(uuid(3, 1), tenant)}, tenant, down).ok());
  CHECK(down.results(0).reason() == v1::REJECT_REASON_UNAVAILABLE);
  CHECK_FALSE(down.results(0).message().empty());
  CHECK(down.results(1).duplicate());  // known ids are answered from the ledger without Kafka

  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(quiz(uuid(3, 3), tenant), &json).ok());
  auto res = http.Post("/v1/events", edfleet::testing::with_identity<httplib::Headers>({tenant, "", ""}), json, "application/json");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->get_header_value("Retry-After") == "1");
  CHECK(nlohmann::json::parse(res->body)["results"][0]["reason"] == "REJECT_REASON_UNAVAILABLE");
  testing::shared_broker().set_all_brokers_up();

  // Not recorded: once Kafka answers again the retry is a fresh accept, not a duplicate.
  v1::PublishResponse retry;
  REQUIRE(testing::wait_until(
      [&] {
        retry.Clear();
        return publish(*stub, {quiz(uuid(3, 2), tenant)}, tenant, retry).ok() && retry.results(0).accepted();
      },
      std::chrono::seconds(30)));
  CHECK_FALSE(retry.results(0).duplicate());
  const auto ids = count_ids(records_of(tenant));
  CHECK(ids.count(uuid(3, 1)) == 1);
  CHECK(ids.count(uuid(3, 2)) >= 1);  // at least once: a timed-out record may still have landed
}
