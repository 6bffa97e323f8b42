// edfleet-rules end to end, with the embedded Kafka broker and PostgreSQL: rules managed over
// gRPC, actions on the actions topic, and the same input yielding the same set of actions exactly
// once across a crash/restart and across a rebalance between two instances; rule updates reach a
// running instance; backtests emit nothing.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "adapters/kafka_action_publisher.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/rules/v1/rules.grpc.pb.h"
#include "edfleet/testing/testing.h"

using namespace std::chrono_literals;
using namespace edfleet;
namespace v1 = edfleet::rules::v1;
using edfleet::testing::wait_until;

namespace {

constexpr std::int64_t kStart = 1767571200;  // 2026-01-05T00:00:00Z
constexpr int kPartitions = 4;

// Event n of a deterministic stream: 8 learners, a mix of calls, statements and quizzes, one
// minute apart (in event time, far in the past: only events move the watermark).
events::v1::Event make_event(int scope, int n) {
  events::v1::Event e;
  char id[40];
  std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012x", scope, n);
  e.set_id(id);
  e.set_tenant("acme");
  e.set_source("it.example");
  e.mutable_subject()->set_learner_id("l" + std::to_string(n % 8));
  e.mutable_occurred_at()->set_seconds(kStart + n * 60);
  switch (n % 3) {
    case 0:
      e.set_type("ops.ib_call_logged");
      e.mutable_ib_call_logged()->set_call_id("c" + std::to_string(n));
      e.mutable_ib_call_logged()->set_reason(n % 2 == 0 ? "billing" : "technical");
      break;
    case 1:
      e.set_type("xapi.statement");
      e.mutable_xapi_statement()->set_statement_json(
          R"({"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/)" +
          std::string(n % 5 == 0 ? "completed" : "experienced") + R"("},"object":{"id":"course-1"},"result":{"score":{"scaled":0.9}}})");
      break;
    default:
      e.set_type("quiz.submitted");
      e.mutable_subject()->set_course_id("c" + std::to_string(n % 4));
      e.mutable_quiz_submission()->set_quiz_id("q" + std::to_string(n % 4));
      e.mutable_quiz_submission()->set_score(n % 10);
      e.mutable_quiz_submission()->set_max_score(10);
      break;
  }
  return e;
}

const char* const kRules[] = {
    R"(rule spike by learner_id let calls = count(ops.ib_call_logged) over sliding 2h
         on ops.ib_call_logged when calls >= 2 then raise_alert("support_call_spike", "medium"))",
    R"(rule completed on xapi.statement where statement.verb.id matches "completed$"
         then award_badge("course_completed"))",
    R"(rule quiet by learner_id absent quiz.submitted for 30m then notify(learner_id, "nudge", [email]))",
    R"(rule daily_quizzes by learner_id let n = count(quiz.submitted) over tumbling 1d on quiz.submitted when n >= 3
         then request_insight("quiz_streak"))",
    // Repartitioned (state per course over learner-keyed events: the cooldown), so the restart and
    // rebalance cases cover the second stage too. With no allowed lateness here, which quiz of a
    // course arrives first at the second stage varies between runs, so the rule has a `once` marker:
    // its action id does not depend on the triggering event.
    R"(rule course_day by course_id on quiz.submitted once per course_id per 1d cooldown 1d
         then request_insight("course_activity"))",
};

class Rules {
 public:
  explicit Rules(int port)
      : stub_(v1::RulesService::NewStub(::grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                              ::grpc::InsecureChannelCredentials()))) {}

  template <typename Request, typename Response, typename Call>
  ::grpc::Status call(Call method, const Request& request, Response& response, const std::string& tenant = "acme") {
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 30s);
    edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
    return ((*stub_).*method)(&context, request, &response);
  }

  v1::Rule create(const std::string& source) {
    v1::CreateRuleRequest request;
    request.set_source(source);
    request.set_enabled(true);
    v1::Rule rule;
    auto status = call(&v1::RulesService::Stub::CreateRule, request, rule);
    INFO(status.error_message());
    REQUIRE(status.ok());
    return rule;
  }

 private:
  std::unique_ptr<v1::RulesService::Stub> stub_;
};

struct Fixture {
  std::string db = testing::fresh_database("rules_it");
  std::string events_topic;
  std::string actions_topic;
  std::string repartition_topic;
  std::string group;

  explicit Fixture(const std::string& name)
      : events_topic("rules-it-events-" + name), actions_topic("rules-it-actions-" + name),
        repartition_topic("rules-it-repartition-" + name), group("rules-it-" + name) {
    testing::shared_broker().create_topic(events_topic, kPartitions);
    testing::shared_broker().create_topic(actions_topic, kPartitions);
    testing::shared_broker().create_topic(repartition_topic, kPartitions);
  }

  std::map<std::string, std::string> overrides;

  std::map<std::string, std::string> env() const {
    std::map<std::string, std::string> all{{"EDFLEET_RULES_POSTGRES_URL", db},
            {"EDFLEET_RULES_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
            {"EDFLEET_RULES_RULES_TOPIC", events_topic},
            {"EDFLEET_RULES_RULES_ACTIONS_TOPIC", actions_topic},
            {"EDFLEET_RULES_RULES_REPARTITION_TOPIC", repartition_topic},
            {"EDFLEET_RULES_RULES_CONSUMER_GROUP", group},
            {"EDFLEET_RULES_RULES_IDLE_TIMEOUT", "1h"},  // only events move the watermark here
            {"EDFLEET_RULES_RULES_REFRESH_INTERVAL", "100ms"},
            {"EDFLEET_RULES_RULES_TICK", "50ms"},
            {"EDFLEET_RULES_RULES_ALLOWED_LATENESS", "0s"},
            {"EDFLEET_RULES_LOG_LEVEL", "warn"}};
    for (const auto& [k, v] : overrides) all[k] = v;
    return all;
  }

  std::unique_ptr<testing::ServiceProcess> start() const {
    return std::make_unique<testing::ServiceProcess>("edfleet-rules", env());
  }

  void produce(int scope, int from, int to, std::int64_t shift_seconds = 0) const {
    std::vector<events::v1::Event> events;
    for (int n = from; n < to; ++n) {
      events.push_back(make_event(scope, n));
      events.back().mutable_occurred_at()->set_seconds(events.back().occurred_at().seconds() + shift_seconds);
    }
    produce(events);
  }

  // Keyed like ingest: by learner.
  void produce(const std::vector<events::v1::Event>& events) const {
    kafka::ProducerConfig config;
    config.bootstrap_servers = testing::shared_broker().bootstrap_servers();
    kafka::Producer producer(config);
    std::vector<kafka::OutgoingMessage> messages;
    for (const auto& e : events) {
      messages.push_back({events_topic, e.tenant() + "/" + e.subject().learner_id(), e.SerializeAsString(), {}});
    }
    for (const auto& r : producer.produce_and_wait(std::move(messages), 15s)) REQUIRE(r.ok);
  }

  std::size_t repartitioned_records() const {
    rules::KafkaTopicScanner scanner(testing::shared_broker().bootstrap_servers(), repartition_topic);
    return scanner.scan([](std::int32_t, std::string_view) {}, 20s);
  }

  // Every action record on the topic (duplicates included).
  std::vector<v1::Action> actions() const {
    std::vector<v1::Action> out;
    rules::KafkaTopicScanner scanner(testing::shared_broker().bootstrap_servers(), actions_topic);
    scanner.scan([&](std::int32_t, std::string_view value) {
      v1::Action a;
      REQUIRE(a.ParseFromArray(value.data(), static_cast<int>(value.size())));
      out.push_back(a);
    }, 20s);
    return out;
  }

  std::set<std::string> action_ids() const {
    std::set<std::string> ids;
    for (const auto& a : actions()) ids.insert(a.id());
    return ids;
  }
};

void create_rules(Rules& rules) {
  for (const char* source : kRules) rules.create(source);
}

constexpr int kEvents = 240;

// The reference: one clean run over the whole stream.
std::set<std::string> reference_ids() {
  static std::set<std::string> ids = [] {
    Fixture f("reference");
    auto service = f.start();
    Rules rules(service->grpc_port());
    create_rules(rules);
    f.produce(1, 0, kEvents);
    std::set<std::string> seen;
    // Done when the last quiet timers of the stream have fired, the repartitioned rule has fired for
    // each of the 4 courses (its stage lags the first one), and nothing new comes for a while.
    std::size_t stable = 0;
    REQUIRE(wait_until([&] {
      std::set<std::string> now;
      std::set<std::string> courses;
      for (const auto& a : f.actions()) {
        now.insert(a.id());
        if (a.rule_id() == "course_day") courses.insert(a.key());
      }
      stable = now == seen && courses.size() == 4 ? stable + 1 : 0;
      seen = now;
      return stable >= 3;
    }, 60s));
    return seen;
  }();
  return ids;
}

}  // namespace

TEST_CASE("rules fire on the stream, with evidence and deterministic ids") {
  const auto ids = reference_ids();
  CHECK(ids.size() > 50);
  Fixture f("evidence");
  auto service = f.start();
  Rules rules(service->grpc_port());
  create_rules(rules);
  f.produce(1, 0, 30);
  REQUIRE(wait_until([&] {
    for (const auto& a : f.actions()) {
      if (a.rule_id() == "spike") return true;
    }
    return false;
  }));
  for (const auto& a : f.actions()) {
    CHECK(ids.contains(a.id()));  // the same input, the same ids as the reference run
    CHECK(a.tenant() == "acme");
    CHECK(a.rule_version() == 1);
    CHECK_FALSE(a.evidence().event_ids().empty());
    CHECK_FALSE(a.evidence().explanation().empty());
    if (a.rule_id() == "spike") {
      CHECK(a.has_raise_alert());
      CHECK(a.evidence().values().at("count(ops.ib_call_logged) over sliding 2h") >= 2);
      CHECK(a.evidence().event_ids_size() >= 2);
    }
  }
}

TEST_CASE("exactly once across a crash and restart") {
  const auto reference = reference_ids();
  Fixture f("restart");
  auto service = f.start();
  Rules rules(service->grpc_port());
  create_rules(rules);
  f.produce(1, 0, kEvents / 2);
  REQUIRE(wait_until([&] { return f.action_ids().size() > 10; }));
  service->kill(SIGKILL);  // mid-stream: whatever was not checkpointed is redone
  f.produce(1, kEvents / 2, kEvents);
  service->restart();
  REQUIRE(wait_until([&] { return f.action_ids() == reference; }, 60s));
  // No distinct extra action ever appeared; re-published ones are exact copies.
  std::map<std::string, std::string> by_id;
  for (const auto& a : f.actions()) {
    auto [it, inserted] = by_id.emplace(a.id(), a.SerializeAsString());
    if (!inserted) CHECK(it->second == a.SerializeAsString());
  }
  CHECK(by_id.size() == reference.size());
  // The repartitioned rule: one action per course (its quizzes come from every partition).
  std::map<std::string, std::set<std::string>> course_day;
  for (const auto& a : f.actions()) {
    if (a.rule_id() == "course_day") course_day[a.key()].insert(a.id());
  }
  CHECK(course_day.size() == 4);
  for (const auto& [course, ids] : course_day) CHECK(ids.size() == 1);
}

TEST_CASE("exactly once across a rebalance between two instances") {
  const auto reference = reference_ids();
  Fixture f("rebalance");
  auto first = f.start();
  Rules rules(first->grpc_port());
  create_rules(rules);
  f.produce(1, 0, kEvents / 3);
  REQUIRE(wait_until([&] { return !f.action_ids().empty(); }));
  auto second = f.start();  // joins the group: the partitions are split
  f.produce(1, kEvents / 3, 2 * kEvents / 3);
  REQUIRE(wait_until([&] { return f.action_ids().size() > reference.size() / 3; }, 30s));
  first->kill(SIGKILL);  // the survivor takes every partition over, from the checkpoints
  f.produce(1, 2 * kEvents / 3, kEvents);
  REQUIRE(wait_until([&] { return f.action_ids() == reference; }, 60s));
  CHECK(f.action_ids().size() == reference.size());
}

TEST_CASE("management API: validate, versions, enable/disable, delete, and live updates") {
  Fixture f("api");
  auto service = f.start();
  Rules rules(service->grpc_port());

  v1::ValidateRuleRequest validate;
  validate.set_source("rule x on quiz.submited then award_badge(\"b\")");
  v1::ValidateRuleResponse diagnostics;
  REQUIRE(rules.call(&v1::RulesService::Stub::ValidateRule, validate, diagnostics).ok());
  CHECK_FALSE(diagnostics.valid());
  REQUIRE(diagnostics.diagnostics_size() == 1);
  CHECK(diagnostics.diagnostics(0).line() == 1);
  CHECK(diagnostics.diagnostics(0).column() == 11);
  CHECK(diagnostics.diagnostics(0).message() == "there is no event type \"quiz.submited\"; did you mean \"quiz.submitted\"?");

  v1::CreateRuleRequest bad;
  bad.set_source(validate.source());
  v1::Rule rule;
  auto status = rules.call(&v1::RulesService::Stub::CreateRule, bad, rule);
  CHECK(status.error_code() == ::grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message().find("line 1, column 11") != std::string::npos);
  v1::ListRulesResponse list;
  CHECK(rules.call(&v1::RulesService::Stub::ListRules, v1::ListRulesRequest(), list, "").error_code() ==
        ::grpc::StatusCode::UNAUTHENTICATED);

  // A rule that fires on billing calls; then a new version that fires on technical calls instead.
  auto created = rules.create(R"(rule calls on ops.ib_call_logged where reason == "billing" then raise_alert("billing_call", "low"))");
  CHECK(created.id() == "calls");
  CHECK(created.version() == 1);
  CHECK(rules.call(&v1::RulesService::Stub::CreateRule, [&] {
          v1::CreateRuleRequest r;
          r.set_source(created.source());
          return r;
        }(), rule).error_code() == ::grpc::StatusCode::ALREADY_EXISTS);
  f.produce(2, 0, 3);  // calls at n = 0 (billing)
  REQUIRE(wait_until([&] { return f.actions().size() == 1; }));
  CHECK(f.actions()[0].rule_version() == 1);

  v1::UpdateRuleRequest update;
  update.set_id("calls");
  update.set_source(R"(rule calls on ops.ib_call_logged where reason == "technical" then raise_alert("technical_call", "low"))");
  REQUIRE(rules.call(&v1::RulesService::Stub::UpdateRule, update, rule).ok());
  CHECK(rule.version() == 2);
  REQUIRE(rules.call(&v1::RulesService::Stub::UpdateRule, update, rule).ok());
  CHECK(rule.version() == 2);  // same text: same version
  // The running instance picks the new version up (refresh every 100 ms) without a restart.
  REQUIRE(wait_until([&] {
    f.produce(2, 3, 4);  // n = 3: a technical call (the same event id each time: idempotent)
    for (const auto& a : f.actions()) {
      if (a.rule_version() == 2) return true;
    }
    return false;
  }, 20s));
  v1::RuleRef ref;
  ref.set_id("calls");
  ref.set_version(1);
  REQUIRE(rules.call(&v1::RulesService::Stub::GetRule, ref, rule).ok());
  CHECK(rule.source().find("billing") != std::string::npos);
  REQUIRE(rules.call(&v1::RulesService::Stub::DisableRule, ref, rule).ok());
  CHECK_FALSE(rule.enabled());
  REQUIRE(rules.call(&v1::RulesService::Stub::ListRules, v1::ListRulesRequest(), list).ok());
  CHECK(list.rules_size() == 0);
  v1::ListRulesRequest all;
  all.set_include_disabled(true);
  REQUIRE(rules.call(&v1::RulesService::Stub::ListRules, all, list).ok());
  CHECK(list.rules_size() == 1);
  REQUIRE(rules.call(&v1::RulesService::Stub::EnableRule, ref, rule).ok());
  v1::DeleteRuleResponse deleted;
  REQUIRE(rules.call(&v1::RulesService::Stub::DeleteRule, ref, deleted).ok());
  CHECK(rules.call(&v1::RulesService::Stub::GetRule, ref, rule).error_code() == ::grpc::StatusCode::NOT_FOUND);

  v1::InstallRulePackRequest pack;
  pack.set_pack("learning");
  REQUIRE(rules.call(&v1::RulesService::Stub::InstallRulePack, pack, list).ok());
  CHECK(list.rules_size() == 9);
  REQUIRE(rules.call(&v1::RulesService::Stub::InstallRulePack, pack, list).ok());  // again: same versions
  for (const auto& r : list.rules()) CHECK(r.version() == 1);
  pack.set_pack("nope");
  CHECK(rules.call(&v1::RulesService::Stub::InstallRulePack, pack, list).error_code() == ::grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("backtest returns what a rule would have fired and emits nothing") {
  Fixture f("backtest");
  auto service = f.start();
  Rules rules(service->grpc_port());
  f.produce(3, 0, 60);  // recorded events, no rules yet
  v1::BacktestRequest request;
  request.set_source(kRules[0]);
  request.mutable_from()->set_seconds(kStart);
  request.mutable_to()->set_seconds(kStart + 3600);
  v1::BacktestResponse response;
  auto status = rules.call(&v1::RulesService::Stub::Backtest, request, response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(response.events_scanned() == 60);
  // Calls every 3 minutes over 8 learners: a learner's calls are 24 minutes apart, so from each
  // learner's second call on within 2 hours, each call fires.
  CHECK(response.actions_size() > 0);
  for (const auto& a : response.actions()) CHECK(a.rule_id() == "spike");
  CHECK(f.actions().empty());
  request.mutable_to()->set_seconds(kStart + 600);
  REQUIRE(rules.call(&v1::RulesService::Stub::Backtest, request, response).ok());
  CHECK(response.actions_size() == 0);
}

TEST_CASE("absence timers fire on the wall clock when the stream is quiet") {
  Fixture f("quiet");
  // Quiet partitions follow the clock after 200 ms; an event may be 2 s behind it.
  f.overrides = {{"EDFLEET_RULES_RULES_IDLE_TIMEOUT", "200ms"}, {"EDFLEET_RULES_RULES_ALLOWED_LATENESS", "2s"}};
  auto service = f.start();
  Rules rules(service->grpc_port());
  rules.create(R"(rule quiet_quiz by learner_id absent quiz.submitted for 1s then notify(learner_id, "nudge", [in_app]))");
  // First a probe (n = 0: a call) until the consumer is assigned and running, so the measured event
  // is not held up (and made late) by the group join.
  rules.create(R"(rule probe on ops.ib_call_logged then raise_alert("probe", "info"))");
  auto now_shift = [] {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return now - (kStart + 2 * 60);
  };
  REQUIRE(wait_until([&] {
    f.produce(4, 0, 1, now_shift() - 2 * 60);
    return !f.actions().empty();
  }, 30s));
  // One quiz (n = 2: learner l2) stamped now; then nothing arrives.
  const auto sent = std::chrono::steady_clock::now();
  f.produce(4, 2, 3, now_shift());
  auto quiet = [&] {
    std::vector<v1::Action> out;
    for (const auto& a : f.actions()) {
      if (a.rule_id() == "quiet_quiz") out.push_back(a);
    }
    return out;
  };
  REQUIRE(wait_until([&] { return !quiet().empty(); }, 20s));
  const auto elapsed = std::chrono::steady_clock::now() - sent;
  // Not before the deadline (1 s) plus the lateness (2 s), less the fraction of a second the event's
  // time was truncated by.
  CHECK(elapsed >= 2s);
  const auto actions = quiet();
  REQUIRE(actions.size() == 1);
  const auto& action = actions[0];
  CHECK(action.key() == "l2");
  CHECK(action.notify().template_() == "nudge");
  CHECK(action.evidence().explanation() == "no quiz.submitted for 1s (learner_id l2)");
}

namespace {
// Quiz n of learner l<n % 8> in course c<n % 3>: every course has quizzes from all 8 learners, so
// from every partition of the (learner-keyed) events topic.
events::v1::Event course_quiz(int n) {
  auto e = make_event(5, n);
  e.clear_payload();
  e.set_type("quiz.submitted");
  e.mutable_subject()->set_course_id("c" + std::to_string(n % 3));
  e.mutable_quiz_submission()->set_quiz_id("q" + std::to_string(n));
  e.mutable_quiz_submission()->set_score(5);
  e.mutable_quiz_submission()->set_max_score(10);
  return e;
}
}  // namespace

TEST_CASE("a per-course aggregate over learner-keyed events fires exactly once, across a restart") {
  constexpr int kQuizzes = 48;  // 16 per course
  Fixture f("grouped");
  // The repartition topic merges the events partitions, whose event times interleave: allow for it.
  f.overrides = {{"EDFLEET_RULES_RULES_ALLOWED_LATENESS", "7d"}};
  auto service = f.start();
  Rules rules(service->grpc_port());
  rules.create(R"(rule busy_course by course_id let n = count(quiz.submitted) over sliding 1d on quiz.submitted
                  when n >= 16 then raise_alert("busy_course", "low"))");
  std::vector<events::v1::Event> quizzes;
  std::map<std::string, std::set<std::string>> ids_by_course;
  for (int n = 0; n < kQuizzes; ++n) {
    quizzes.push_back(course_quiz(n));
    ids_by_course[quizzes.back().subject().course_id()].insert(quizzes.back().id());
  }
  f.produce({quizzes.begin(), quizzes.begin() + kQuizzes / 2});
  // Forwarded (at least in part) by the events stage: then crash, mid-stream.
  REQUIRE(wait_until([&] { return f.repartitioned_records() >= kQuizzes / 4; }, 30s));
  service->kill(SIGKILL);
  f.produce({quizzes.begin() + kQuizzes / 2, quizzes.end() - 3});
  service->restart();
  // The rule evaluates the count as of each quiz's time, so the last quiz of each course (in event
  // time) goes last: once everything before it is on the repartition topic.
  REQUIRE(wait_until([&] { return f.repartitioned_records() >= kQuizzes - 3; }, 30s));
  f.produce({quizzes.end() - 3, quizzes.end()});
  auto busy = [&] {
    std::vector<v1::Action> out;
    for (const auto& a : f.actions()) {
      if (a.rule_id() == "busy_course") out.push_back(a);
    }
    return out;
  };
  REQUIRE(wait_until([&] {
    std::set<std::string> keys;
    for (const auto& a : busy()) keys.insert(a.key());
    return keys.size() == 3;
  }, 60s));
  CHECK(f.repartitioned_records() >= static_cast<std::size_t>(kQuizzes));
  // Exactly once: one action per course; a re-published one is an exact copy.
  std::map<std::string, std::string> by_id;
  std::map<std::string, int> per_course;
  for (const auto& a : busy()) {
    auto [it, inserted] = by_id.emplace(a.id(), a.SerializeAsString());
    if (!inserted) {
      CHECK(it->second == a.SerializeAsString());
      continue;
    }
    ++per_course[a.key()];
    INFO(a.key());
    // The evidence: all 16 quizzes of the course, each counted once.
    CHECK(a.evidence().values().at("count(quiz.submitted) over sliding 1d") == 16);
    std::set<std::string> evidence(a.evidence().event_ids().begin(), a.evidence().event_ids().end());
    CHECK(evidence == ids_by_course[a.key()]);
    CHECK(a.evidence().explanation() == "n >= 16 (course_id " + a.key() + ")");
  }
  CHECK(per_course == std::map<std::string, int>{{"c0", 1}, {"c1", 1}, {"c2", 1}});
}

