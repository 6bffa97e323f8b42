// The stream generator: determinism, time order, and that every event is valid for ingest (checked
// with ingest's own protobuf codec and validator, not a copy of its rules).
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "adapters/jsonl.h"
#include "adapters/proto_event_codec.h"   // ingest's
#include "adapters/proto_mapping.h"
#include "domain/validation.h"            // ingest's
#include "test_support.h"

using namespace edfleet;
using namespace edfleet::sim;
using namespace edfleet::sim::test;

namespace {

std::vector<std::string> as_json(const std::vector<SimEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(to_json(to_proto(e)));
  return out;
}

}  // namespace

TEST_CASE("the same spec gives the identical event sequence, ids included", "[sim][generator]") {
  const auto a = as_json(generate(spec(11), 4000));
  const auto b = as_json(generate(spec(11), 4000));
  CHECK(a == b);
}

TEST_CASE("another seed, stream or start gives another sequence", "[sim][generator]") {
  const auto base = as_json(generate(spec(11), 500));
  CHECK(as_json(generate(spec(12), 500)) != base);
  CHECK(as_json(generate(spec(11, 1), 500)) != base);
  auto later = spec(11);
  later.start += std::chrono::hours(1);
  CHECK(as_json(generate(later, 500)) != base);
}

TEST_CASE("a start one week later gives the same events a week later, with other ids", "[sim][generator]") {
  auto moved = spec(5);
  moved.start += kWeek;
  const auto a = generate(spec(5), 3000);
  const auto b = generate(moved, 3000);
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("event " << i);
    REQUIRE(event_type(a[i]) == event_type(b[i]));
    REQUIRE(b[i].occurred_at - a[i].occurred_at == kWeek);
    REQUIRE(a[i].id != b[i].id);
  }
}

TEST_CASE("events come out in time order, from the start on, with unique ids", "[sim][generator]") {
  for (const Cohort cohort : {Cohort{3, 1, 1}, Cohort{40, 6, 3}, Cohort{300, 43, 25}}) {
    const auto events = generate(spec(3, 2, cohort), 6000);
    std::set<std::string> ids;
    for (std::size_t i = 0; i < events.size(); ++i) {
      REQUIRE(events[i].occurred_at >= test_start());
      if (i > 0) REQUIRE(events[i].occurred_at >= events[i - 1].occurred_at);
      ids.insert(events[i].id);
    }
    CHECK(ids.size() == events.size());
  }
}

TEST_CASE("every generated event passes ingest's validation", "[sim][generator]") {
  std::size_t checked = 0;
  std::map<std::string, std::size_t> types;
  for (const Cohort cohort : {Cohort{3, 1, 1}, Cohort{25, 4, 2}, Cohort{120, 18, 10}}) {
    for (int stream = 0; stream < 2; ++stream) {
      auto s = spec(static_cast<std::uint64_t>(100 + stream), stream, cohort);
      s.tenant = stream == 0 ? "acme" : "tenant-7";
      for (const auto& event : generate(s, 3000)) {
        const auto proto = to_proto(event);
        auto envelope = ingest::to_domain(proto);
        const auto rejection = ingest::validate_event(envelope, "", ingest::ValidationLimits{}, event.occurred_at);
        INFO(to_json(proto));
        REQUIRE_FALSE(rejection.has_value());
        // What --target jsonl writes reads back as the same event.
        events::v1::Event parsed;
        REQUIRE(google::protobuf::util::JsonStringToMessage(to_json(proto), &parsed).ok());
        REQUIRE(parsed.SerializeAsString() == proto.SerializeAsString());
        ++types[proto.type()];
        ++checked;
      }
    }
  }
  CHECK(checked == 18000);
  // Every family the issue asks for shows up.
  for (const char* type :
       {"xapi.statement", "quiz.submitted", "ops.session_started", "ops.session_completed", "ops.ib_call_logged",
        "ops.tutor_availability_updated", "ops.customer_health_update", "ops.supply_demand_update", "session.scheduled",
        "session.started", "session.participant_joined", "session.participant_left", "session.scene_changed",
        "session.slide_changed", "session.chat_message", "session.question_asked", "session.question_answered",
        "session.poll_created", "session.poll_voted", "session.poll_closed", "session.transcript_segment",
        "session.ended"}) {
    INFO(type);
    CHECK(types[type] > 0);
  }
}

TEST_CASE("xAPI statements: the five verbs, scores and durations", "[sim][generator][xapi]") {
  std::map<std::string, int> verbs;
  int scored = 0;
  for (const auto& e : generate(spec(21), 8000)) {
    const auto* x = payload_as<XapiStatement>(e);
    if (x == nullptr) continue;
    const auto json = nlohmann::json::parse(x->statement_json);
    CHECK(json.at("id") == e.id);
    CHECK(json.at("actor").at("account").at("name") == e.subject.learner_id);
    const std::string verb = json.at("verb").at("display").at("en-US");
    ++verbs[verb];
    if (verb == "passed" || verb == "failed") {
      const auto& result = json.at("result");
      CHECK(result.at("success") == (verb == "passed"));
      CHECK(result.at("score").at("raw").get<double>() <= result.at("score").at("max").get<double>());
      CHECK(result.at("duration").get<std::string>().starts_with("PT"));
      ++scored;
    }
    if (verb == "completed") CHECK(json.at("result").at("completion") == true);
  }
  for (const char* verb : {"launched", "progressed", "completed", "passed", "failed"}) {
    INFO(verb);
    CHECK(verbs[verb] > 0);
  }
  CHECK(scored > 0);
}

TEST_CASE("the model's density estimate matches what it generates", "[sim][generator][density]") {
  for (const double per_day : {20.0, 120.0, 600.0}) {
    const Cohort cohort = size_cohort(per_day);
    const auto days = 60;
    double measured = 0;
    for (std::uint64_t seed = 1; seed <= 2; ++seed) {
      measured += static_cast<double>(generate_until(spec(seed, 0, cohort), test_start() + days * kDay).size());
    }
    measured /= 2.0 * days;
    INFO("target " << per_day << "/day: cohort " << cohort.learners << " learners, measured " << measured
                   << ", expected " << expected_events_per_day(cohort));
    CHECK(expected_events_per_day(cohort) >= per_day);
    CHECK(measured == Approx(expected_events_per_day(cohort)).epsilon(0.15));
  }
}

TEST_CASE("every payload the simulator generates names a type of the event contract", "[sim][generator]") {
  // event_type() looks the type up in libs/contracts; an empty name would mean the two disagree.
  const auto events = generate(spec(), 2000);
  std::set<std::string> types;
  for (const auto& e : events) {
    INFO(e.id);
    REQUIRE_FALSE(event_type(e).empty());
    types.insert(event_type(e));
  }
  CHECK(types.size() > 10);
}
