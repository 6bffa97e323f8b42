// End-to-end: one live class through the real ingest and rules binaries. Its events name the
// learner who chatted or joined (as the README's own example does) besides the session; the event
// contract keys every session.* event by its session, so the whole class lands on one partition in
// sequence order, and a per-session rule sees all of it. Its per-session sequence is a contract: a
// second event for a taken sequence is refused.
#include <catch2/catch.hpp>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "edfleet/contracts/topics.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/ingest/v1/ingest.grpc.pb.h"
#include "edfleet/rules/v1/rules.grpc.pb.h"
#include "edfleet/testing/testing.h"

namespace {

using namespace edfleet;
using namespace std::chrono_literals;

constexpr const char* kTenant = "liveclass";
constexpr const char* kSession = "class-2026-12-08-algebra";
constexpr int kChats = 8;

events::v1::Event class_event(int sequence, const std::string& type, const std::string& learner) {
  events::v1::Event e;
  char id[40];
  std::snprintf(id, sizeof id, "7c1a5e00-0000-4000-8000-%012d", sequence);
  e.set_id(id);
  e.set_type(type);
  e.set_source("classroom.example");
  e.mutable_subject()->set_session_id(kSession);
  if (!learner.empty()) e.mutable_subject()->set_learner_id(learner);
  e.mutable_occurred_at()->set_seconds(1796688000 + sequence);
  auto* session = e.mutable_class_session();
  session->set_sequence(static_cast<std::uint64_t>(sequence));
  if (type == "session.started") session->mutable_started()->set_host_id("tutor-1");
  if (type == "session.chat_message") {
    auto* chat = session->mutable_chat_message();
    chat->set_message_id("m" + std::to_string(sequence));
    chat->set_author_id(learner);
    chat->set_text("hello from " + learner);
  }
  if (type == "session.ended") session->mutable_ended()->set_duration_seconds(3600);
  return e;
}

ingest::v1::PublishResponse publish(ingest::v1::IngestService::Stub& ingest, std::vector<events::v1::Event> events) {
  ingest::v1::PublishRequest request;
  for (auto& e : events) *request.add_events() = std::move(e);
  ingest::v1::PublishResponse response;
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  edfleet::grpc::set_caller(context, testing::identity_signer(), {kTenant, "key:classroom", ""});
  const auto status = ingest.Publish(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return response;
}

}  // namespace

TEST_CASE("a live class is one partition, in order, and a per-session rule sees all of it", "[e2e][contracts]") {
  const auto& broker = testing::shared_broker();
  testing::ServiceProcess ingest_process(
      "edfleet-ingest", {{"EDFLEET_INGEST_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers()},
                         {"EDFLEET_INGEST_POSTGRES_URL", testing::fresh_database("live_class_ingest")},
                         {"EDFLEET_INGEST_LOG_LEVEL", "warn"}});
  testing::ServiceProcess rules_process(
      "edfleet-rules", {{"EDFLEET_RULES_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers()},
                        {"EDFLEET_RULES_POSTGRES_URL", testing::fresh_database("live_class_rules")},
                        {"EDFLEET_RULES_RULES_CONSUMER_GROUP", "live-class-e2e"},
                        {"EDFLEET_RULES_RULES_REFRESH_INTERVAL", "100ms"},
                        {"EDFLEET_RULES_LOG_LEVEL", "warn"}});
  auto rules = rules::v1::RulesService::NewStub(::grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(rules_process.grpc_port()), ::grpc::InsecureChannelCredentials()));
  {
    rules::v1::CreateRuleRequest create;
    create.set_source(
        R"(rule engaged_class by session_id let chats = count(session.chat_message) over tumbling 1d
             on session.ended when chats >= 8 then request_insight("engaged_class"))");
    create.set_enabled(true);
    rules::v1::Rule created;
    ::grpc::ClientContext context;
    edfleet::grpc::set_caller(context, testing::identity_signer(), {kTenant, "key:ops", ""});
    const auto status = rules->CreateRule(&context, create, &created);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }

  // The class: started, eight chats by eight learners, ended; each event names its learner.
  std::vector<events::v1::Event> events{class_event(1, "session.started", "")};
  for (int i = 0; i < kChats; ++i) events.push_back(class_event(2 + i, "session.chat_message", "learner-" + std::to_string(i)));
  events.push_back(class_event(2 + kChats, "session.ended", "learner-0"));
  auto ingest = ingest::v1::IngestService::NewStub(::grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(ingest_process.grpc_port()), ::grpc::InsecureChannelCredentials()));
  const auto response = publish(*ingest, events);
  REQUIRE(response.accepted() == events.size());

  // On the topic: one partition, keyed by the session, in sequence order.
  std::vector<kafka::ConsumedMessage> class_records;
  for (auto& record : testing::read_topic(std::string(contracts::kEventsTopic))) {
    if (record.key.starts_with(std::string(kTenant) + "/")) class_records.push_back(std::move(record));
  }
  REQUIRE(class_records.size() == events.size());
  std::uint64_t previous = 0;
  for (const auto& record : class_records) {
    CHECK(record.key == std::string(kTenant) + "/" + kSession);
    CHECK(record.partition == class_records.front().partition);
    events::v1::Event event;
    REQUIRE(event.ParseFromString(record.value));
    CHECK(event.class_session().sequence() == previous + 1);
    previous = event.class_session().sequence();
  }

  // The per-session rule counted every chat of the class before its end.
  REQUIRE(testing::wait_until(
      [&] {
        for (const auto& record : testing::read_topic(std::string(contracts::kActionsTopic))) {
          rules::v1::Action action;
          if (action.ParseFromString(record.value) && action.rule_id() == "engaged_class" &&
              action.tenant() == kTenant) {
            return true;
          }
        }
        return false;
      },
      60s));

  // The sequence is a contract: another event for sequence 3 is refused, naming session and sequence;
  // the identical retry of the original is a duplicate.
  auto impostor = class_event(3, "session.chat_message", "learner-x");
  impostor.set_id("7c1a5e00-0000-4000-8000-999999999999");
  const auto refused = publish(*ingest, {impostor, events[2]});
  CHECK(refused.results(0).reason() == ingest::v1::REJECT_REASON_SEQUENCE_CONFLICT);
  CHECK(refused.results(0).message().find(kSession) != std::string::npos);
  CHECK(refused.results(0).message().find("sequence 3") != std::string::npos);
  CHECK(refused.results(1).accepted());
  CHECK(refused.results(1).duplicate());
}
