// analytics against an embedded Kafka broker and PostgreSQL: events are counted exactly once through
// duplicates on the topic, consumer restarts, offsets reset in Kafka and a Postgres outage; poison
// records go to the DLQ; the binary answers over gRPC for the caller's tenant only.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

#include "adapters/pg_event_count_store.h"
#include "edfleet/analytics/v1/analytics.grpc.pb.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/log.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/kafka/consumer.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/pg/pool.h"
#include "edfleet/testing/testing.h"
#include "transport/events_consumer.h"

namespace edfleet::analytics {
const std::vector<pg::Migration>& migrations();
}

using namespace std::chrono_literals;
using namespace edfleet;
using namespace edfleet::analytics;
namespace v1 = edfleet::analytics::v1;
using edfleet::testing::metric;
using edfleet::testing::wait_until;

namespace {

// --- events -------------------------------------------------------------------------------------

std::string uuid_for(int scope, int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x-0000-4000-8000-%012x", scope, n);
  return buffer;
}

struct Spec {
  std::string tenant;
  std::string id;
  std::string type;
  std::int64_t occurred_at;  // unix seconds
  std::string learner;
};

events::v1::Event make_event(const Spec& spec) {
  events::v1::Event event;
  event.set_id(spec.id);
  event.set_tenant(spec.tenant);
  event.set_type(spec.type);
  event.set_source("it.example");
  if (!spec.learner.empty()) event.mutable_subject()->set_learner_id(spec.learner);
  event.mutable_occurred_at()->set_seconds(spec.occurred_at);
  if (spec.type == "quiz.submitted") {
    event.mutable_quiz_submission()->set_quiz_id("q-1");
    event.mutable_quiz_submission()->set_score(7);
    event.mutable_quiz_submission()->set_max_score(10);
  } else if (spec.type == "ops.session_completed") {
    event.mutable_tutoring_session_completed()->set_outcome("completed");
  } else if (spec.type == "ops.ib_call_logged") {
    event.mutable_ib_call_logged()->set_reason("billing");
  } else if (spec.type == "xapi.statement") {
    event.mutable_xapi_statement()->set_statement_json("{}");
  }
  return event;
}

kafka::OutgoingMessage record(const std::string& topic, const events::v1::Event& event) {
  const auto& subject = event.subject().learner_id().empty() ? event.id() : event.subject().learner_id();
  return {topic, event.tenant() + "/" + subject, event.SerializeAsString(), {}};
}

void produce(kafka::Producer& producer, std::vector<kafka::OutgoingMessage> messages) {
  const auto reports = producer.produce_and_wait(std::move(messages), 15s);
  for (const auto& report : reports) REQUIRE(report.ok);
}

constexpr std::int64_t kDay0 = 1795478400;  // 2026-11-24T00:00:00Z
const char* const kDays[] = {"2026-11-24", "2026-11-25", "2026-11-26"};
const char* const kTypes[] = {"xapi.statement", "quiz.submitted", "ops.session_completed",
                              "ops.ib_call_logged"};

// Event n of a generated stream: tenant, type, day and learner cycle with different periods.
Spec generated(int scope, int n) {
  Spec spec;
  spec.tenant = n % 2 == 0 ? "acme" : "globex";
  spec.id = uuid_for(scope, n);
  spec.type = kTypes[n % 4];
  spec.occurred_at = kDay0 + (n % 3) * 86400 + 3600 + n;  // within the day, in UTC
  spec.learner = "l-" + std::to_string(n % 5);
  return spec;
}

using CountKey = std::tuple<std::string, std::string, std::string>;  // tenant, day, type

std::map<CountKey, std::int64_t> expected_counts(int scope, int from, int to) {
  std::map<CountKey, std::int64_t> counts;
  for (int n = from; n < to; ++n) {
    auto spec = generated(scope, n);
    ++counts[{spec.tenant, kDays[n % 3], spec.type}];
  }
  return counts;
}

// --- the database -------------------------------------------------------------------------------

struct Database {
  std::string url;
  pg::ConnectionPool pool;

  explicit Database(std::string_view prefix) : url(testing::fresh_database(prefix)), pool(url, 4) {
    auto connection = pool.acquire();
    pg::apply_migrations(*connection, "analytics", migrations());
  }

  std::int64_t scalar(const std::string& sql) {
    auto connection = pool.acquire();
    pqxx::read_transaction txn(*connection);
    return txn.exec1(sql)[0].as<std::int64_t>();
  }
  void execute(const std::string& sql) {
    auto connection = pool.acquire();
    pqxx::work txn(*connection);
    txn.exec0(sql);
    txn.commit();
  }
  std::int64_t total_counted() { return scalar("SELECT coalesce(sum(count), 0) FROM event_counts"); }
  std::int64_t stored_offsets(const std::string& topic) {
    auto connection = pool.acquire();
    pqxx::read_transaction txn(*connection);
    return txn.exec_params1("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE topic = $1",
                            topic)[0]
        .as<std::int64_t>();
  }
  std::map<CountKey, std::int64_t> counts() {
    auto connection = pool.acquire();
    pqxx::read_transaction txn(*connection);
    std::map<CountKey, std::int64_t> result;
    for (const auto& row : txn.exec("SELECT tenant, day::text, type, count FROM event_counts")) {
      result[{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()}] =
          row[3].as<std::int64_t>();
    }
    return result;
  }
};

// --- consumer loops -----------------------------------------------------------------------------

kafka::ConsumerConfig consumer_config(const std::string& topic, const std::string& group,
                                      prometheus::Registry* registry) {
  kafka::ConsumerConfig config;
  config.bootstrap_servers = testing::shared_broker().bootstrap_servers();
  config.group_id = group;
  config.topics = {topic};
  config.max_batch = 100;
  config.retry_backoff = 50ms;
  config.session_timeout = 6000ms;
  config.extra["fetch.wait.max.ms"] = "10";  // as the service configures it (analytics.fetch_wait_max)
  config.registry = registry;
  return config;
}

// The analytics consumer (EventsConsumer + ConsumerLoop) running on its own thread.
struct RunningConsumer {
  prometheus::Registry registry;
  PgEventCountStore store;
  EventsConsumer handler;
  kafka::ConsumerLoop loop;
  std::thread thread;

  RunningConsumer(Database& db, const std::string& topic, const std::string& group,
                  kafka::Producer& dlq)
      : store(db.pool, 2s),
        handler(store, core::SystemClock::instance(), &registry),
        loop(consumer_config(topic, group, &registry), handler, dlq),
        thread([this] { loop.run(); }) {}
  ~RunningConsumer() {
    loop.stop();
    thread.join();
  }
  double applied() { return metric(registry, "edfleet_analytics_events_applied_total"); }
  double duplicates() { return metric(registry, "edfleet_analytics_duplicates_total"); }
};

// Collects whatever arrives on a topic (the DLQ).
struct Collector final : kafka::BatchHandler {
  std::mutex mutex;
  std::vector<kafka::ConsumedMessage> messages;
  void handle(std::span<const kafka::ConsumedMessage> batch) override {
    std::lock_guard lock(mutex);
    messages.insert(messages.end(), batch.begin(), batch.end());
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
};

kafka::Producer& producer() {
  static kafka::Producer instance([] {
    kafka::ProducerConfig config;
    config.bootstrap_servers = testing::shared_broker().bootstrap_servers();
    config.client_id = "analytics-it";
    return config;
  }());
  return instance;
}

std::string new_topic(const std::string& name, int partitions) {
  auto& broker = testing::shared_broker();
  broker.create_topic(name, partitions);
  broker.create_topic(contracts::dlq_topic(name), 1);
  return name;
}

}  // namespace

TEST_CASE("each event is counted once through duplicates, restarts and offsets reset in Kafka",
          "[analytics][exactly-once]") {
  core::log::init("analytics-it", "warn");
  Database db("analytics_eo");
  const auto topic = new_topic("analytics.it.exactly-once", 4);
  constexpr int kScope = 1;

  std::vector<kafka::OutgoingMessage> first;
  for (int n = 0; n < 300; ++n) first.push_back(record(topic, make_event(generated(kScope, n))));

  {
    RunningConsumer consumer(db, topic, "analytics-it-eo-a", producer());
    produce(producer(), first);
    REQUIRE(wait_until([&] { return db.stored_offsets(topic) == 300; }, 30s));
    CHECK(db.total_counted() == 300);
    CHECK(db.counts() == expected_counts(kScope, 0, 300));
    CHECK(consumer.applied() == 300);

    // The first 100 events again (a producer retry, a replayed import), plus 20 new ones.
    std::vector<kafka::OutgoingMessage> again(first.begin(), first.begin() + 100);
    for (int n = 300; n < 320; ++n) again.push_back(record(topic, make_event(generated(kScope, n))));
    produce(producer(), again);
    REQUIRE(wait_until([&] { return db.stored_offsets(topic) == 420; }, 30s));
    CHECK(db.total_counted() == 320);
    CHECK(db.counts() == expected_counts(kScope, 0, 320));
    CHECK(consumer.duplicates() == 100);
    CHECK(consumer.applied() == 320);
  }

  {
    // A new group has no committed offsets in Kafka (as after a reset to earliest): the consumer
    // resumes from the offsets stored with the counts, so nothing is even redelivered.
    RunningConsumer consumer(db, topic, "analytics-it-eo-b", producer());
    std::vector<kafka::OutgoingMessage> more;
    for (int n = 320; n < 330; ++n) more.push_back(record(topic, make_event(generated(kScope, n))));
    produce(producer(), more);
    REQUIRE(wait_until([&] { return db.stored_offsets(topic) == 430; }, 30s));
    CHECK(db.total_counted() == 330);
    CHECK(consumer.duplicates() == 0);
    CHECK(consumer.applied() == 10);
  }

  {
    // Stored positions lost too: every record is delivered again from the start of the topic, and
    // processed_events absorbs all of them.
    db.execute("DELETE FROM consumer_offsets");
    REQUIRE(db.stored_offsets(topic) == 0);
    RunningConsumer consumer(db, topic, "analytics-it-eo-c", producer());
    REQUIRE(wait_until([&] { return db.stored_offsets(topic) == 430; }, 30s));
    CHECK(consumer.duplicates() == 430);
    CHECK(consumer.applied() == 0);
    CHECK(db.total_counted() == 330);
    CHECK(db.counts() == expected_counts(kScope, 0, 330));
    CHECK(db.scalar("SELECT count(*) FROM processed_events") == 330);
  }

  // The learner counters agree with the stream: acme's l-0 gets n = 0, 10, 20, ... (n % 10 == 0).
  PgEventCountStore store(db.pool);
  auto l0 = store.learner_counters("acme", "l-0");
  REQUIRE(l0.has_value());
  std::int64_t total = 0, quizzes = 0, completed = 0, calls = 0;
  for (int n = 0; n < 330; n += 10) {
    ++total;
    const std::string type = kTypes[n % 4];
    quizzes += type == "quiz.submitted";
    completed += type == "ops.session_completed";
    calls += type == "ops.ib_call_logged";
  }
  CHECK(l0->total_events == total);
  CHECK(l0->quiz_submissions == quizzes);
  CHECK(l0->quiz_scored == quizzes);
  CHECK(l0->quiz_percent_sum == Approx(70.0 * static_cast<double>(quizzes)));
  CHECK(l0->tutoring_sessions_completed == completed);
  CHECK(l0->ib_calls == calls);
  CHECK(l0->first_seen == core::Timestamp{std::chrono::seconds{kDay0 + 3600}});
}

TEST_CASE("a record that is not a storable Event goes to the DLQ; the others are counted",
          "[analytics][dlq]") {
  core::log::init("analytics-it", "error");  // the poison is logged loudly on purpose
  Database db("analytics_dlq");
  const auto topic = new_topic("analytics.it.poison", 1);
  constexpr int kScope = 2;

  std::vector<kafka::OutgoingMessage> messages;
  for (int n = 0; n < 5; ++n) messages.push_back(record(topic, make_event(generated(kScope, n))));
  messages.push_back({topic, "acme/garbage", std::string("\xff\xff\xff not a protobuf"), {}});
  auto bad_id = make_event(generated(kScope, 5));
  bad_id.set_id("not-a-uuid");
  messages.push_back(record(topic, bad_id));
  for (int n = 6; n < 11; ++n) messages.push_back(record(topic, make_event(generated(kScope, n))));

  Collector dead_letters;
  kafka::ConsumerLoop dlq_loop(consumer_config(contracts::dlq_topic(topic), "analytics-it-dlq-reader", nullptr),
                               dead_letters, producer());
  std::thread dlq_thread([&] { dlq_loop.run(); });
  {
    RunningConsumer consumer(db, topic, "analytics-it-dlq", producer());
    produce(producer(), messages);
    REQUIRE(wait_until([&] { return db.stored_offsets(topic) == 12; }, 30s));
    CHECK(db.total_counted() == 10);
    CHECK(consumer.applied() == 10);
    REQUIRE(wait_until([&] { return dead_letters.size() == 2; }, 30s));
  }
  dlq_loop.stop();
  dlq_thread.join();

  std::lock_guard lock(dead_letters.mutex);
  REQUIRE(dead_letters.messages.size() == 2);
  const auto& garbage = dead_letters.messages[0];
  CHECK(garbage.value == messages[5].value);
  CHECK(garbage.key == "acme/garbage");
  CHECK(garbage.header(kafka::kOriginalOffsetHeader) == std::optional<std::string>("5"));
  CHECK(garbage.header(kafka::kErrorHeader).has_value());
  const auto& invalid = dead_letters.messages[1];
  CHECK(invalid.header(kafka::kOriginalOffsetHeader) == std::optional<std::string>("6"));
  REQUIRE(invalid.header(kafka::kErrorHeader).has_value());
  CHECK(invalid.header(kafka::kErrorHeader)->find("id") != std::string::npos);
}

TEST_CASE("Postgres down: batches are retried, and applied once when it is back",
          "[analytics][outage]") {
  core::log::init("analytics-it", "off");  // the outage is noisy by design
  Database db("analytics_outage");
  const auto topic = new_topic("analytics.it.outage", 2);
  constexpr int kScope = 3;
  auto& postgres = testing::shared_postgres();

  RunningConsumer consumer(db, topic, "analytics-it-outage", producer());
  std::vector<kafka::OutgoingMessage> before, during;
  for (int n = 0; n < 50; ++n) before.push_back(record(topic, make_event(generated(kScope, n))));
  for (int n = 50; n < 100; ++n) during.push_back(record(topic, make_event(generated(kScope, n))));
  produce(producer(), before);
  REQUIRE(wait_until([&] { return db.stored_offsets(topic) == 50; }, 30s));

  postgres.stop();
  produce(producer(), during);
  // The loop keeps trying the batch while the database is gone.
  REQUIRE(wait_until(
      [&] { return metric(consumer.registry, "edfleet_kafka_handler_retries_total", {{"kind", "transient"}}) >= 2; },
      30s));
  postgres.start();

  REQUIRE(wait_until(
      [&] {
        try {
          return db.stored_offsets(topic) == 100;
        } catch (const std::exception&) {
          return false;  // the pool reconnects on a later try
        }
      },
      30s));
  CHECK(db.total_counted() == 100);
  CHECK(db.counts() == expected_counts(kScope, 0, 100));
  CHECK(consumer.applied() == 100);
  CHECK(consumer.duplicates() == 0);
}

namespace {

struct Client {
  std::unique_ptr<v1::AnalyticsService::Stub> stub;
  explicit Client(int port)
      : stub(v1::AnalyticsService::NewStub(::grpc::CreateChannel(
            "127.0.0.1:" + std::to_string(port), ::grpc::InsecureChannelCredentials()))) {}

  ::grpc::Status counts(const std::string& tenant, v1::GetEventCountsRequest request,
                        v1::GetEventCountsResponse& response) {
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 5s);
    edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
    return stub->GetEventCounts(&context, request, &response);
  }
  ::grpc::Status learner(const std::string& tenant, const std::string& learner_id,
                         v1::LearnerSummary& response) {
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 5s);
    edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
    v1::GetLearnerSummaryRequest request;
    request.set_learner_id(learner_id);
    return stub->GetLearnerSummary(&context, request, &response);
  }
};

v1::GetEventCountsRequest november(std::vector<std::string> types = {}) {
  v1::GetEventCountsRequest request;
  request.set_from_day("2026-11-01");
  request.set_to_day("2026-11-30");
  for (auto& type : types) request.add_types(type);
  return request;
}

}  // namespace

TEST_CASE("the binary answers GetEventCounts and GetLearnerSummary for the caller's tenant only",
          "[analytics][grpc]") {
  core::log::init("analytics-it", "warn");
  const auto url = testing::fresh_database("analytics_grpc");
  const auto topic = new_topic("analytics.it.grpc", 4);
  constexpr int kScope = 4;

  std::vector<Spec> specs = {
      {"acme", uuid_for(kScope, 1), "xapi.statement", kDay0 + 100, "l-1"},
      {"acme", uuid_for(kScope, 2), "xapi.statement", kDay0 + 200, "l-2"},
      {"acme", uuid_for(kScope, 3), "xapi.statement", kDay0 + 86400 + 5, ""},
      {"acme", uuid_for(kScope, 4), "quiz.submitted", kDay0 + 86400 + 10, "l-1"},
      {"acme", uuid_for(kScope, 5), "ops.ib_call_logged", kDay0 + 86400 * 2 + 10, "l-1"},
      {"acme", uuid_for(kScope, 6), "ops.session_completed", kDay0 + 86400 * 2 + 20, "l-1"},
      {"globex", uuid_for(kScope, 7), "xapi.statement", kDay0 + 100, "l-1"},
      {"globex", uuid_for(kScope, 8), "xapi.statement", kDay0 + 300, "l-1"},
  };
  std::vector<kafka::OutgoingMessage> messages;
  for (const auto& spec : specs) messages.push_back(record(topic, make_event(spec)));
  // A second quiz for acme's l-1 scoring 40%: the average is (70 + 40) / 2.
  auto low_quiz = make_event({"acme", uuid_for(kScope, 9), "quiz.submitted", kDay0 + 86400 + 20, "l-1"});
  low_quiz.mutable_quiz_submission()->set_score(4);
  messages.push_back(record(topic, low_quiz));

  testing::ServiceProcess service(testing::bin_path("edfleet-analytics"),
                                  {{"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
                                   {"EDFLEET_ANALYTICS_POSTGRES_URL", url},
                                   {"EDFLEET_ANALYTICS_TOPIC", topic},
                                   {"EDFLEET_ANALYTICS_CONSUMER_GROUP", "analytics-it-grpc"},
                                   {"EDFLEET_ANALYTICS_LOG_LEVEL", "warn"}});
  produce(producer(), messages);

  Client client(service.grpc_port());
  v1::GetEventCountsResponse acme;
  REQUIRE(wait_until(
      [&] {
        acme.Clear();
        return client.counts("acme", november(), acme).ok() && acme.total() == 7;
      },
      30s));
  std::vector<std::tuple<std::string, std::string, std::uint64_t>> rows;
  for (const auto& c : acme.counts()) rows.emplace_back(c.day(), c.type(), c.count());
  CHECK(rows == std::vector<std::tuple<std::string, std::string, std::uint64_t>>{
                    {"2026-11-24", "xapi.statement", 2},
                    {"2026-11-25", "quiz.submitted", 2},
                    {"2026-11-25", "xapi.statement", 1},
                    {"2026-11-26", "ops.ib_call_logged", 1},
                    {"2026-11-26", "ops.session_completed", 1}});

  v1::GetEventCountsResponse filtered;
  REQUIRE(client.counts("acme", november({"quiz.submitted"}), filtered).ok());
  CHECK(filtered.total() == 2);
  v1::GetEventCountsResponse globex;
  REQUIRE(wait_until([&] {
    globex.Clear();
    return client.counts("globex", november(), globex).ok() && globex.total() == 2;
  }));
  REQUIRE(globex.counts_size() == 1);
  CHECK(globex.counts(0).day() == "2026-11-24");
  v1::GetEventCountsResponse nobody;
  REQUIRE(client.counts("initech", november(), nobody).ok());
  CHECK(nobody.total() == 0);

  v1::LearnerSummary l1;
  REQUIRE(client.learner("acme", "l-1", l1).ok());
  CHECK(l1.learner_id() == "l-1");
  CHECK(l1.total_events() == 5);
  CHECK(l1.events_by_type().at("quiz.submitted") == 2);
  CHECK(l1.events_by_type().at("xapi.statement") == 1);
  CHECK(l1.first_seen().seconds() == kDay0 + 100);
  CHECK(l1.last_seen().seconds() == kDay0 + 86400 * 2 + 20);
  CHECK(l1.quiz_submissions() == 2);
  CHECK(l1.quiz_average_percent() == Approx(55.0));
  CHECK(l1.tutoring_sessions_completed() == 1);
  CHECK(l1.ib_calls() == 1);

  v1::LearnerSummary globex_l1;
  REQUIRE(client.learner("globex", "l-1", globex_l1).ok());
  CHECK(globex_l1.total_events() == 2);  // the same learner id in another tenant is someone else
  CHECK(globex_l1.quiz_submissions() == 0);

  v1::LearnerSummary missing;
  CHECK(client.learner("acme", "l-404", missing).error_code() == ::grpc::StatusCode::NOT_FOUND);
  CHECK(client.learner("globex", "l-2", missing).error_code() == ::grpc::StatusCode::NOT_FOUND);
  CHECK(client.learner("", "l-1", missing).error_code() == ::grpc::StatusCode::UNAUTHENTICATED);
  CHECK(client.learner("Not A Tenant", "l-1", missing).error_code() == ::grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetEventCountsResponse ignored;
  CHECK(client.counts("", november(), ignored).error_code() == ::grpc::StatusCode::UNAUTHENTICATED);
  auto reversed = november();
  reversed.set_from_day("2026-12-01");
  CHECK(client.counts("acme", reversed, ignored).error_code() == ::grpc::StatusCode::INVALID_ARGUMENT);
  {
    ::grpc::ClientContext context;
    edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {"acme", "service:tests", ""});
    v1::GetKpisResponse kpis;
    auto status = client.stub->GetKpis(&context, v1::GetKpisRequest{}, &kpis);
    CHECK(status.error_code() == ::grpc::StatusCode::UNIMPLEMENTED);
    CHECK(status.error_message().find("later issue") != std::string::npos);
    ::grpc::ClientContext series_context;
    edfleet::grpc::set_caller(series_context, edfleet::testing::identity_signer(), {"acme", "service:tests", ""});
    v1::TimeSeries series;
    CHECK(client.stub->QueryTimeSeries(&series_context, v1::QueryTimeSeriesRequest{}, &series).error_code() ==
          ::grpc::StatusCode::UNIMPLEMENTED);
  }
  CHECK(testing::scrape_metric(service.http_port(), "edfleet_analytics_events_applied_total") == 9);

  // Stop, put every event on the topic once more, start again: the counts do not move.
  service.kill(SIGTERM);
  CHECK(service.wait() == 0);
  produce(producer(), messages);
  service.restart();
  REQUIRE(wait_until(
      [&] { return testing::scrape_metric(service.http_port(), "edfleet_analytics_duplicates_total") == 9; }, 30s));
  Client again(service.grpc_port());
  v1::GetEventCountsResponse after;
  REQUIRE(again.counts("acme", november(), after).ok());
  CHECK(after.total() == 7);
  v1::LearnerSummary l1_after;
  REQUIRE(again.learner("acme", "l-1", l1_after).ok());
  CHECK(l1_after.total_events() == 5);
  CHECK(l1_after.quiz_average_percent() == Approx(55.0));
  CHECK(testing::scrape_metric(service.http_port(), "edfleet_analytics_events_applied_total") == 0);
}

// Not run by default (hidden tag): analytics_integration_tests "[bench]". 20000 events produced at
// 10k events/s (the pacing sleeps on purpose: it is a load generator, not a wait), consumed with the
// production batch size; prints the batch-apply latency and the Kafka-timestamp-to-commit lag.
TEST_CASE("benchmark: consume 20000 events", "[.][bench]") {
  core::log::init("analytics-it", "warn");
  Database db("analytics_bench");
  const auto topic = new_topic("analytics.it.bench", 12);
  constexpr int kScope = 5;
  constexpr int kEvents = 20000;
  std::vector<kafka::OutgoingMessage> messages;
  for (int n = 0; n < kEvents; ++n) messages.push_back(record(topic, make_event(generated(kScope, n))));

  prometheus::Registry registry;
  PgEventCountStore store(db.pool, 2s);
  EventsConsumer inner(store, core::SystemClock::instance(), &registry);
  // Records the time outside the handler (polling, commits) between batches.
  struct Timed final : kafka::BatchHandler {
    EventsConsumer& inner;
    std::chrono::steady_clock::time_point last_end{};
    double outside = 0, inside = 0;
    std::size_t batches = 0, records = 0;
    explicit Timed(EventsConsumer& e) : inner(e) {}
    void handle(std::span<const kafka::ConsumedMessage> batch) override {
      const auto start = std::chrono::steady_clock::now();
      if (batches > 0) outside += std::chrono::duration<double>(start - last_end).count();
      inner.handle(batch);
      last_end = std::chrono::steady_clock::now();
      inside += std::chrono::duration<double>(last_end - start).count();
      ++batches;
      records += batch.size();
    }
    std::optional<int64_t> stored_offset(const std::string& t, int32_t p) override {
      return inner.stored_offset(t, p);
    }
  } handler(inner);
  auto config = consumer_config(topic, "analytics-it-bench", &registry);
  config.max_batch = 500;
  kafka::ConsumerLoop loop(config, handler, producer());
  std::thread thread([&] { loop.run(); });
  REQUIRE(wait_until([&] { return loop.assigned(); }, 30s));
  // Warm up (producer id, metadata, first fetch) with one record, so that start-up is not measured.
  produce(producer(), {record(topic, make_event(generated(kScope, kEvents)))});
  REQUIRE(wait_until([&] { return db.stored_offsets(topic) == 1; }, 30s));

  // Paced like the target load: 100 records every 10 ms (10k events/s).
  const auto started = std::chrono::steady_clock::now();
  std::atomic<int> failed{0};
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i % 100 == 0) std::this_thread::sleep_until(started + std::chrono::milliseconds(i / 10));
    producer().produce(messages[i], [&](const kafka::DeliveryReport& report) {
      if (!report.ok) ++failed;
    });
  }
  REQUIRE(producer().flush(30s));
  REQUIRE(failed == 0);
  REQUIRE(wait_until([&] { return db.stored_offsets(topic) == kEvents + 1; }, 120s));
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  loop.stop();
  thread.join();

  CHECK(db.total_counted() == kEvents + 1);
  for (const auto& family : registry.Collect()) {
    if (family.name != "edfleet_analytics_batch_apply_seconds" &&
        family.name != "edfleet_analytics_event_lag_seconds") {
      continue;
    }
    const auto& histogram = family.metric.at(0).histogram;
    std::string buckets;
    for (const auto& bucket : histogram.bucket) {
      buckets += " le=" + std::to_string(bucket.upper_bound) + ":" + std::to_string(bucket.cumulative_count);
    }
    WARN(family.name << " count=" << histogram.sample_count << " mean="
                     << histogram.sample_sum / static_cast<double>(histogram.sample_count) << buckets);
  }
  WARN(handler.batches << " batches, " << handler.records << " records; in handler " << handler.inside
                       << " s, between batches " << handler.outside << " s");
  WARN(kEvents << " events in " << seconds << " s = " << kEvents / seconds << " events/s");
}
