// Two edfleet-ingest replicas on one database and one broker: the ledger's claim-before-publish makes
// conflict checks hold across processes. Concurrent PUTs of one statement id with different content,
// spread over both replicas, give exactly one 204 (the others 409), and exactly one event with that
// id, carrying the winner's content, reaches edfleet.events.v1; the same for POST /v1/events (one
// accepted, the others REJECT_REASON_ID_REUSED).
#include <catch2/catch.hpp>

#include <latch>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/events/v1/event.pb.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/testing/testing.h"
#include "xapi_http_test_support.h"

using namespace edfleet;
using nlohmann::json;
namespace xapi_test = edfleet::ingest::xapi_test;

namespace {

constexpr const char* kTenant = "replicas";

std::unique_ptr<testing::ServiceProcess> replica(const std::string& database_url);

// Both replicas, started once per binary.
struct Replicas {
  std::string url = testing::fresh_database("ingest_replicas");
  std::unique_ptr<testing::ServiceProcess> a = replica(url);
  std::unique_ptr<testing::ServiceProcess> b = replica(url);
  int port(int n) const { return n % 2 == 0 ? a->http_port() : b->http_port(); }
};

Replicas& replicas() {
  static Replicas both;
  return both;
}

// Sends `bodies[s]` with `send(client, body)` from one thread each, to replica s % 2, all at once.
template <typename Send>
void race(const std::vector<std::string>& bodies, Send send) {
  std::latch start(static_cast<std::ptrdiff_t>(bodies.size()));
  std::vector<std::thread> senders;
  for (std::size_t s = 0; s < bodies.size(); ++s) {
    senders.emplace_back([&, s] {
      auto client = xapi_test::http_client(replicas().port(static_cast<int>(s)));
      start.arrive_and_wait();  // all at once: the claims race in Postgres and in each process
      send(client, bodies[s], static_cast<int>(s));
    });
  }
  for (auto& t : senders) t.join();
}

// Checks that the topic holds exactly one event of `tenant` per id of `winner`, carrying the winner's
// score (`score_of` reads it from the event).
template <typename ScoreOf>
void check_one_event_each(const std::string& tenant, const std::map<std::string, int>& winner, ScoreOf score_of) {
  std::map<std::string, std::vector<int>> on_stream;
  for (auto& m : testing::read_topic(std::string(contracts::kEventsTopic))) {
    if (!m.key.starts_with(tenant + "/")) continue;
    events::v1::Event event;
    REQUIRE(event.ParseFromString(m.value));
    on_stream[event.id()].push_back(score_of(event));
  }
  CHECK(on_stream.size() == winner.size());
  for (const auto& [id, scores] : on_stream) {
    INFO(id);
    REQUIRE(scores.size() == 1);
    REQUIRE(winner.contains(id));
    CHECK(scores[0] == winner.at(id));
  }
}

std::unique_ptr<testing::ServiceProcess> replica(const std::string& database_url) {
  return std::make_unique<testing::ServiceProcess>(
      "edfleet-ingest", std::map<std::string, std::string>{
                            {"EDFLEET_INGEST_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
                            {"EDFLEET_INGEST_POSTGRES_URL", database_url},
                            {"EDFLEET_INGEST_KAFKA_TIMEOUT", "5s"}});
}

std::string statement_with_score(const std::string& id, int score) {
  json s = json::parse(R"({"actor": {"mbox": "mailto:ada@example.com", "name": "Ada"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"id": "https://lms.example.com/course/algebra-1"}})");
  s["id"] = id;
  s["result"] = {{"score", {{"raw", score}}}};
  return s.dump();
}

std::string id_of(int n) {
  char text[40];
  std::snprintf(text, sizeof text, "7a1e0c52-5b7d-4f3e-9d2a-%012d", n);
  return text;
}

}  // namespace

TEST_CASE("concurrent PUTs of one id with different content on two replicas: one 204, the rest 409",
          "[xapi][integration][replicas]") {
  constexpr int kIds = 12;
  constexpr int kSenders = 6;  // per id; even ones go to replica a, odd ones to b
  std::map<std::string, int> winner;  // id -> the score whose PUT got 204
  std::map<int, int> statuses;
  std::mutex mutex;
  for (int n = 0; n < kIds; ++n) {
    const std::string id = id_of(n);
    std::vector<std::string> bodies;
    for (int s = 0; s < kSenders; ++s) bodies.push_back(statement_with_score(id, s));
    race(bodies, [&](httplib::Client& client, const std::string& body, int s) {
      const auto r = client.Put(("/xapi/statements?statementId=" + id).c_str(), xapi_test::xapi_headers(kTenant), body,
                                "application/json");
      std::lock_guard lock(mutex);
      const int status = r ? r->status : -1;
      ++statuses[status];
      if (status == 204) winner[id] = winner.contains(id) ? -1 : s;  // a second 204 fails below
    });
  }
  INFO("statuses: " << json(statuses).dump());
  CHECK(statuses[204] == kIds);
  CHECK(statuses[409] == kIds * (kSenders - 1));
  REQUIRE(winner.size() == static_cast<std::size_t>(kIds));

  // Exactly one event per id on the stream, with the content that was answered 204.
  check_one_event_each(kTenant, winner, [](const events::v1::Event& event) {
    return json::parse(event.xapi_statement().statement_json())["result"]["score"]["raw"].get<int>();
  });

  // Both replicas answer a retry of the winner as no change, and other content as a conflict.
  for (int r = 0; r < 2; ++r) {
    auto client = xapi_test::http_client(replicas().port(r));
    const std::string id = id_of(0);
    const auto same = client.Put(("/xapi/statements?statementId=" + id).c_str(), xapi_test::xapi_headers(kTenant),
                                 statement_with_score(id, winner.at(id)), "application/json");
    REQUIRE(same);
    CHECK(same->status == 204);
    const auto other = client.Put(("/xapi/statements?statementId=" + id).c_str(), xapi_test::xapi_headers(kTenant),
                                  statement_with_score(id, 100 + r), "application/json");
    REQUIRE(other);
    CHECK(other->status == 409);
  }
}

TEST_CASE("concurrent POSTs of one event id with different content on two replicas: one accepted",
          "[integration][replicas]") {
  constexpr const char* kEventsTenant = "replicas-events";
  constexpr int kIds = 12;
  constexpr int kSenders = 6;
  std::map<std::string, int> winner;  // id -> the score accepted
  std::map<std::string, int> outcomes;
  std::mutex mutex;
  for (int n = 0; n < kIds; ++n) {
    const std::string id = id_of(100 + n);
    std::vector<std::string> bodies;
    for (int s = 0; s < kSenders; ++s) {
      bodies.push_back(json::array({{{"id", id},
                                     {"type", "quiz.submitted"},
                                     {"source", "lms.example"},
                                     {"subject", {{"learnerId", "learner-1"}}},
                                     {"occurredAt", "2026-11-01T10:00:00Z"},
                                     {"quizSubmission", {{"quizId", "quiz-1"}, {"score", s}, {"maxScore", 10}}}}})
                           .dump());
    }
    race(bodies, [&](httplib::Client& client, const std::string& body, int s) {
      const auto r = client.Post("/v1/events", edfleet::testing::with_identity<httplib::Headers>({kEventsTenant, "", ""}), body, "application/json");
      std::lock_guard lock(mutex);
      if (!r || r->status != 200) {
        ++outcomes["http " + (r ? std::to_string(r->status) : std::string("none"))];
        return;
      }
      const json result = json::parse(r->body)["results"][0];
      if (result["accepted"] == true) {
        ++outcomes[result["duplicate"] == true ? "duplicate" : "accepted"];
        winner[id] = winner.contains(id) ? -1 : s;
      } else {
        ++outcomes[result["reason"].get<std::string>()];
      }
    });
  }
  INFO("outcomes: " << json(outcomes).dump());
  CHECK(outcomes["accepted"] == kIds);
  CHECK(outcomes["REJECT_REASON_ID_REUSED"] == kIds * (kSenders - 1));
  REQUIRE(winner.size() == static_cast<std::size_t>(kIds));

  check_one_event_each(kEventsTenant, winner, [](const events::v1::Event& event) {
    return static_cast<int>(event.quiz_submission().score());
  });
}
