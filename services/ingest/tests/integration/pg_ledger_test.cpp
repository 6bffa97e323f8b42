// PgAcceptedEventLedger against a real PostgreSQL: concurrent calls are coalesced into shared
// statements, and each caller still gets exactly the answer for its own keys; claims are atomic per
// key, pending until recorded, and released only while pending with the same hash.
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

using State = LedgerClaim::State;

std::string migrated_database(const std::string& name) {
  const std::string url = testing::fresh_database(name);
  pqxx::connection connection(url);
  pg::apply_migrations(connection, "ingest", migrations());
  return url;
}

}  // namespace

TEST_CASE("concurrent ledger calls each see exactly their own keys", "[ledger][integration]") {
  const std::string url = migrated_database("ingest_ledger");
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
        // Claim n (the previous round claimed it, except n = 0), record it, then claim n again and
        // n + 1: n is accepted with this thread's hash and n + 1 is claimed by this call, whatever
        // other threads did in the same statements.
        const auto hash_of = [t](int m) { return "hash-" + std::to_string(t) + "-" + std::to_string(m); };
        const EventKey key{tenant, uuid_of(t, n)};
        const std::vector<AcceptedEvent> events = {{key, hash_of(n), now}};
        const auto first = ledger.claim(events);
        if (first.size() != 1 || first[0].state != (n == 0 ? State::kClaimed : State::kPending) ||
            first[0].content_hash != hash_of(n)) {
          ++failures;
        }
        ledger.record(events);
        const std::vector<AcceptedEvent> wanted = {{key, "other", now},
                                                   {EventKey{tenant, uuid_of(t, n + 1)}, hash_of(n + 1), now}};
        const auto claims = ledger.claim(wanted);
        if (claims.size() != 2 || claims[0].state != State::kAccepted || claims[0].content_hash != hash_of(n) ||
            claims[1].state != State::kClaimed || claims[1].content_hash != hash_of(n + 1)) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);

  // Every record landed once, and a key recorded again keeps its first hash. The last claim of each
  // thread (n = kRounds) is still pending.
  const std::vector<AcceptedEvent> again = {{EventKey{"tenant-0", uuid_of(0, 0)}, "other", now}};
  ledger.record(again);
  CHECK(ledger.claim(again).at(0).content_hash == "hash-0-0");
  pqxx::connection connection(url);
  pqxx::nontransaction work(connection);
  CHECK(work.exec("SELECT count(*) FROM accepted_events WHERE accepted_at IS NOT NULL")[0][0].as<int>() ==
        kThreads * kRounds);
  CHECK(work.exec("SELECT count(*) FROM accepted_events WHERE accepted_at IS NULL")[0][0].as<int>() == kThreads);
}

TEST_CASE("a failing ledger statement fails every call it carried", "[ledger][integration]") {
  const std::string url = testing::fresh_database("ingest_ledger_down");
  pg::ConnectionPool pool(url, 2);
  PgAcceptedEventLedger ledger(pool);   // no migrations: the table does not exist
  const std::vector<AcceptedEvent> events = {{EventKey{"acme", uuid_of(1, 1)}, "h",
                                              core::SystemClock::instance().now()}};
  CHECK_THROWS(ledger.claim(events));
  CHECK_THROWS(ledger.record(events));
  CHECK_THROWS(ledger.release(events));
}

TEST_CASE("a claim is pending until recorded, and released only while pending with its hash", "[ledger][integration]") {
  const std::string url = migrated_database("ingest_ledger_claims");
  pg::ConnectionPool pool(url, 2);
  PgAcceptedEventLedger ledger(pool);
  const core::Timestamp now = core::SystemClock::instance().now();
  const EventKey a{"acme", uuid_of(1, 1)}, b{"acme", uuid_of(1, 2)}, c{"acme", uuid_of(1, 3)};
  const EventKey a_elsewhere{"globex", uuid_of(1, 1)};  // ids are scoped by tenant

  auto claims = ledger.claim(std::vector<AcceptedEvent>{{a, "ha", now}, {b, "hb", now}, {a_elsewhere, "hx", now}});
  REQUIRE(claims.size() == 3);
  CHECK(claims[0].state == State::kClaimed);
  CHECK(claims[1].state == State::kClaimed);
  CHECK(claims[2].state == State::kClaimed);

  // Claimed again (another request or replica, or a retry after a crash): pending, with the first hash.
  claims = ledger.claim(std::vector<AcceptedEvent>{{b, "other", now}, {a, "ha", now}, {c, "hc", now}});
  CHECK((claims[0].state == State::kPending && claims[0].content_hash == "hb"));
  CHECK((claims[1].state == State::kPending && claims[1].content_hash == "ha"));
  CHECK(claims[2].state == State::kClaimed);

  // One key twice in one call: the first claims it, the copy sees it held.
  claims = ledger.claim(std::vector<AcceptedEvent>{{EventKey{"acme", uuid_of(1, 4)}, "h4", now},
                                                  {EventKey{"acme", uuid_of(1, 4)}, "h4b", now}});
  CHECK(claims[0].state == State::kClaimed);
  CHECK((claims[1].state == State::kPending && claims[1].content_hash == "h4"));

  // Record: pending -> accepted; another hash does not take over a claim.
  ledger.record(std::vector<AcceptedEvent>{{a, "ha", now}, {b, "not-b", now}});
  claims = ledger.claim(std::vector<AcceptedEvent>{{a, "x", now}, {b, "x", now}});
  CHECK((claims[0].state == State::kAccepted && claims[0].content_hash == "ha"));
  CHECK((claims[1].state == State::kPending && claims[1].content_hash == "hb"));

  // Release: only pending claims with the same hash go; accepted rows stay.
  ledger.release(std::vector<AcceptedEvent>{{a, "ha", now}, {b, "not-b", now}, {c, "hc", now}});
  claims = ledger.claim(std::vector<AcceptedEvent>{{a, "x", now}, {b, "x", now}, {c, "new", now}});
  CHECK(claims[0].state == State::kAccepted);
  CHECK(claims[1].state == State::kPending);
  CHECK((claims[2].state == State::kClaimed && claims[2].content_hash == "new"));

  // A record with no claim (released meanwhile) still lands as accepted.
  ledger.release(std::vector<AcceptedEvent>{{c, "new", now}});
  ledger.record(std::vector<AcceptedEvent>{{c, "new", now}});
  CHECK(ledger.claim(std::vector<AcceptedEvent>{{c, "x", now}}).at(0).state == State::kAccepted);

  pqxx::connection connection(url);
  pqxx::nontransaction work(connection);
  const auto row = work.exec("SELECT accepted_at IS NULL, claimed_at IS NOT NULL FROM accepted_events WHERE event_id = '" +
                             b.id + "'");
  CHECK(row[0][0].as<bool>());
  CHECK(row[0][1].as<bool>());
}

TEST_CASE("concurrent claims of one key on separate pools: exactly one wins", "[ledger][integration]") {
  const std::string url = migrated_database("ingest_ledger_race");
  // Two "replicas": separate pools and ledgers (no shared coalescing), many keys raced at once.
  pg::ConnectionPool pool_a(url, 4), pool_b(url, 4);
  PgAcceptedEventLedger ledger_a(pool_a), ledger_b(pool_b);
  const core::Timestamp now = core::SystemClock::instance().now();
  constexpr int kKeys = 200;
  constexpr int kThreadsPerSide = 4;
  std::atomic<int> claimed{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerSide; ++t) {
    threads.emplace_back([&, t] {
      PgAcceptedEventLedger& ledger = t % 2 == 0 ? ledger_a : ledger_b;
      for (int n = 0; n < kKeys; ++n) {
        const std::string hash = "h" + std::to_string(t);
        const auto claims = ledger.claim(std::vector<AcceptedEvent>{{EventKey{"acme", uuid_of(9, n)}, hash, now}});
        if (claims.size() != 1) {
          ++wrong;
        } else if (claims[0].state == State::kClaimed) {
          ++claimed;
        } else if (claims[0].state != State::kPending || claims[0].content_hash.empty()) {
          ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
  CHECK(claimed == kKeys);
}
