// XapiConsistencyWatcher against the binary's embedded Kafka and Postgres: Consistent-Through stays at
// the persisted floor while the materialiser's stored offsets are behind the topic's ends as of the
// start, is released once they reach them, and the watermark is persisted for the next start-up. And
// the built binary runs both loops on the ServiceHost and stops cleanly.
#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

#include <pqxx/pqxx>

#include "adapters/kafka_topic_positions.h"
#include "adapters/pg_statement_store.h"
#include "domain/xapi/consistency.h"
#include "edfleet/core/time_format.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/pg/pool.h"
#include "edfleet/testing/testing.h"
#include "ingest_app.h"
#include "transport/xapi_materialiser.h"

using namespace edfleet;
using namespace edfleet::ingest;
using namespace std::chrono_literals;

TEST_CASE("Consistent-Through is held until the stored offsets reach the topic's ends", "[xapi][consistency]") {
  const std::string topic = "test.xapi.consistency.watch";
  const std::string bootstrap = testing::shared_broker().bootstrap_servers();
  kafka::ProducerConfig producer_config;
  producer_config.bootstrap_servers = bootstrap;
  kafka::Producer producer(producer_config);
  std::vector<kafka::OutgoingMessage> messages;
  for (int i = 0; i < 12; ++i) messages.push_back({topic, "key-" + std::to_string(i), "record", {}});
  for (const auto& report : producer.produce_and_wait(messages, 10s)) REQUIRE(report.ok);

  pg::ConnectionPool pool(testing::fresh_database("consistency_watch"), 2);
  pool.with_connection([](pqxx::connection& c) { pg::apply_migrations(c, "ingest", migrations()); });
  PgStatementStore store(pool);
  CHECK_FALSE(store.consistent_through());

  KafkaTopicPositions positions(bootstrap, "test-consistency-watch", topic, 5s);
  const auto ends = positions.ends();
  std::int64_t records = 0;
  for (const auto& [partition, range] : ends) records += range.high - range.low;
  REQUIRE(records == 12);

  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  xapi::ConsistencyTracker tracker(clock, std::chrono::microseconds(12s));
  const auto floor = clock.now() - 60s;
  tracker.hold(floor);
  ConsistencyWatchSettings settings;
  settings.poll = 5ms;
  settings.interval = 5ms;
  settings.save_every = 0ms;
  XapiConsistencyWatcher watcher(positions, store, tracker, clock, settings);
  std::thread runner([&] { watcher.run(); });

  // Every partition but the last with records materialised: still held at the floor.
  std::vector<PartitionPosition> offsets;
  for (const auto& [partition, range] : ends) {
    if (range.high > range.low) offsets.push_back({topic, partition, range.high});
  }
  REQUIRE(offsets.size() >= 2);
  const PartitionPosition last = offsets.back();
  offsets.pop_back();
  store.write({}, offsets);
  CHECK_FALSE(testing::wait_until([&] { return !tracker.held(); }, 300ms));
  CHECK(tracker.consistent_through() == floor);
  CHECK_FALSE(store.consistent_through());

  // One record short of the end is not enough either.
  store.write({}, {{topic, last.partition, last.next_offset - 1}});
  CHECK_FALSE(testing::wait_until([&] { return !tracker.held(); }, 300ms));

  store.write({}, {last});
  CHECK(testing::wait_until([&] { return !tracker.held(); }));
  CHECK(tracker.consistent_through() == clock.now());
  // Persisted as the floor of the next start-up.
  CHECK(testing::wait_until([&] { return store.consistent_through() == clock.now(); }));
  // Never moved back by a lower value.
  store.save_consistent_through(floor);
  CHECK(store.consistent_through() == clock.now());

  watcher.stop();
  runner.join();
}

TEST_CASE("ingest stops cleanly on SIGTERM with the materialiser and watcher on the host's loops",
          "[xapi][consistency]") {
  const std::string database = testing::fresh_database("consistency_shutdown");
  testing::ServiceProcess ingest("edfleet-ingest",
                                 {{"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
                                  {"EDFLEET_INGEST_POSTGRES_URL", database},
                                  {"EDFLEET_INGEST_GRPC_PORT", "0"},
                                  {"EDFLEET_INGEST_HTTP_PORT", "0"}});
  // The watcher persists the watermark once it has seen the materialiser caught up: both loops run.
  pg::ConnectionPool pool(database, 1);
  PgStatementStore store(pool);
  CHECK(testing::wait_until([&] { return store.consistent_through().has_value(); }));
  ingest.kill(SIGTERM);
  CHECK(ingest.wait() == 0);
}
