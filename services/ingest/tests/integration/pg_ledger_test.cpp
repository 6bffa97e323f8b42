// PgAcceptedEventLedger against a real PostgreSQL: concurrent calls are coalesced into shared
// statements, and each caller still gets exactly the answer for its own keys.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <pqxx/pqxx>

#include "adapters/pg_accepted_event_ledger.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/testing/testing.h"
#include "ingest_app.h"

using namespace edfleet;
using namespace edfleet::ingest;

namespace {

std::string uuid_of(int thread, int n) {
  char text[40];
  std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%06d%06d", thread, n);
  return text;
}

}  // namespace

TEST_CASE("concurrent ledger calls each see exactly their own keys", "[ledger][integration]") {
  const std::string url = testing::fresh_database("ingest_ledger");
  {
    pqxx::connection connection(url);
    pg::apply_migrations(connection, "ingest", migrations());
  }
  pg::ConnectionPool pool(url, 4);
  PgAcceptedEventLedger ledger(pool);
  const core::Timestamp now = core::SystemClock::instance().now();

  constexpr int kThreads = 16;
  constexpr int kRounds = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string tenant = "tenant-" + std::to_string(t % 4);
      for (int n = 0; n < kRounds; ++n) {
        // Record key n of this thread (its hash names the thread), then look up n and n + 1: only n is
        // known, with this thread's hash, whatever other threads recorded in the same statement.
        const EventKey key{tenant, uuid_of(t, n)};
        const std::vector<AcceptedEvent> events = {{key, "hash-" + std::to_string(t) + "-" + std::to_string(n), now}};
        ledger.record(events);
        const std::vector<EventKey> keys = {key, EventKey{tenant, uuid_of(t, n + 1)}};
        const auto found = ledger.find(keys);
        if (found.size() != 1 || !found.contains(key) ||
            found.at(key) != "hash-" + std::to_string(t) + "-" + std::to_string(n)) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);

  // Every record landed once, and a key recorded again keeps its first hash.
  const std::vector<AcceptedEvent> again = {{EventKey{"tenant-0", uuid_of(0, 0)}, "other", now}};
  ledger.record(again);
  const std::vector<EventKey> first = {EventKey{"tenant-0", uuid_of(0, 0)}};
  CHECK(ledger.find(first).at(first[0]) == "hash-0-0");
  pqxx::connection connection(url);
  pqxx::nontransaction work(connection);
  CHECK(work.exec("SELECT count(*) FROM accepted_events")[0][0].as<int>() == kThreads * kRounds);
}

TEST_CASE("a failing ledger statement fails every call it carried", "[ledger][integration]") {
  const std::string url = testing::fresh_database("ingest_ledger_down");
  pg::ConnectionPool pool(url, 2);
  PgAcceptedEventLedger ledger(pool);   // no migrations: the table does not exist
  const std::vector<EventKey> keys = {EventKey{"acme", uuid_of(1, 1)}};
  CHECK_THROWS(ledger.find(keys));
  const std::vector<AcceptedEvent> events = {{keys[0], "h", core::SystemClock::instance().now()}};
  CHECK_THROWS(ledger.record(events));
}
