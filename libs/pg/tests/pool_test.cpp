#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <pqxx/nontransaction>

#include "edfleet/pg/pool.h"
#include "test_support.h"

using edfleet::pg::ConnectionPool;
using edfleet::pg::Unavailable;
using edfleet::pg::test::backend_pid;
using namespace std::chrono_literals;

namespace {

int select_one(pqxx::connection& connection) {
  pqxx::nontransaction tx(connection);
  return tx.exec("SELECT 1")[0][0].as<int>();
}

// Terminates a backend and waits until it is gone (PostgreSQL 14+ pg_terminate_backend timeout).
void terminate_backend(const std::string& url, int pid) {
  pqxx::connection admin(url);
  pqxx::nontransaction tx(admin);
  REQUIRE(tx.exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ", 10000)")[0][0].as<bool>());
}

}  // namespace

TEST_CASE("ConnectionPool opens lazily and reuses a returned connection", "[pool]") {
  ConnectionPool pool(edfleet::pg::test::fresh_database("pool_reuse"), 2);
  CHECK(pool.open_connections() == 0);
  int first_pid = 0;
  {
    auto lease = pool.acquire();
    first_pid = backend_pid(*lease);
    CHECK(pool.open_connections() == 1);
    CHECK(pool.idle_connections() == 0);
  }
  CHECK(pool.idle_connections() == 1);
  auto lease = pool.acquire();
  CHECK(backend_pid(*lease) == first_pid);
  CHECK(pool.open_connections() == 1);
  CHECK(lease->is_open());
}

TEST_CASE("ConnectionPool is bounded: acquire waits, then times out with Unavailable", "[pool]") {
  ConnectionPool pool(edfleet::pg::test::fresh_database("pool_bound"), 2);
  auto a = pool.acquire();
  auto b = pool.acquire();
  CHECK(backend_pid(*a) != backend_pid(*b));
  CHECK(pool.open_connections() == 2);

  auto started = std::chrono::steady_clock::now();
  try {
    (void)pool.acquire(100ms);
    FAIL("expected Unavailable");
  } catch (const Unavailable& e) {
    CHECK(std::chrono::steady_clock::now() - started >= 100ms);
    CHECK_THAT(e.what(), Catch::Contains("timed out") && Catch::Contains("pool of 2") &&
                             Catch::Contains(pool.target()));
  }

  // A waiter gets the connection another thread returns.
  int b_pid = backend_pid(*b);
  auto waiter = std::async(std::launch::async, [&pool] {
    auto lease = pool.acquire(10s);
    return backend_pid(*lease);
  });
  { auto returned = std::move(b); }
  CHECK(waiter.get() == b_pid);
  CHECK(pool.open_connections() == 2);
}

TEST_CASE("ConnectionPool is safe under concurrent use", "[pool]") {
  ConnectionPool pool(edfleet::pg::test::fresh_database("pool_threads"), 3);
  std::vector<std::future<int>> workers;
  for (int t = 0; t < 8; ++t) {
    workers.push_back(std::async(std::launch::async, [&pool] {
      int sum = 0;
      for (int i = 0; i < 25; ++i) {
        auto lease = pool.acquire(10s);
        sum += select_one(*lease);
      }
      return sum;
    }));
  }
  for (auto& w : workers) CHECK(w.get() == 25);
  CHECK(pool.open_connections() <= 3);
  CHECK(pool.idle_connections() == pool.open_connections());
}

TEST_CASE("ConnectionPool discards a connection marked broken and opens a new one", "[pool]") {
  ConnectionPool pool(edfleet::pg::test::fresh_database("pool_broken"), 1);
  int first_pid = 0;
  {
    auto lease = pool.acquire();
    first_pid = backend_pid(*lease);
    lease.mark_broken();
  }
  CHECK(pool.open_connections() == 0);
  auto lease = pool.acquire();
  CHECK(backend_pid(*lease) != first_pid);
}

TEST_CASE("ConnectionPool replaces an idle connection the server closed", "[pool]") {
  std::string url = edfleet::pg::test::fresh_database("pool_terminated");
  ConnectionPool pool(url, 1);
  int first_pid = 0;
  {
    auto lease = pool.acquire();
    first_pid = backend_pid(*lease);
  }
  terminate_backend(url, first_pid);
  auto lease = pool.acquire();  // not handed the dead one
  CHECK(backend_pid(*lease) != first_pid);
  CHECK(select_one(*lease) == 1);
}

TEST_CASE("ConnectionPool throws Unavailable naming host:port, without the password", "[pool]") {
  // Nothing listens on port 1 of the loopback interface.
  ConnectionPool pool("postgresql://postgres:hunter2@127.0.0.1:1/nowhere", 2);
  try {
    (void)pool.acquire(2s);
    FAIL("expected Unavailable");
  } catch (const Unavailable& e) {
    std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("127.0.0.1:1/nowhere"));
    CHECK_THAT(message, !Catch::Contains("hunter2"));
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(pool.open_connections() == 0);  // the failed attempt does not use up a slot
}

TEST_CASE("ConnectionPool reconnects after the server restarts", "[pool]") {
  auto& server = edfleet::pg::test::postgres();
  std::string url = edfleet::pg::test::fresh_database("pool_restart");
  ConnectionPool pool(url, 2);
  auto held = pool.acquire();     // in use while the server goes away
  {
    auto idle = pool.acquire();   // returned before the server goes away
    REQUIRE(select_one(*idle) == 1);
  }
  REQUIRE(select_one(*held) == 1);

  // Restart the server even if a check below fails: the other tests share it.
  struct Restart {
    edfleet::pg::EmbeddedPostgres& server;
    ~Restart() { server.start(); }
  } restart_guard{server};
  int port = server.port();
  server.stop();
  CHECK_FALSE(server.running());

  // The held connection fails; with_connection turns that into Unavailable and discards it.
  CHECK_THROWS_AS(pool.with_connection([](pqxx::connection& c) { return select_one(c); }), Unavailable);
  CHECK_THROWS_AS(select_one(*held), pqxx::broken_connection);
  held.mark_broken();
  { auto discarded = std::move(held); }
  CHECK_THROWS_WITH(pool.acquire(1s), Catch::Contains("cannot connect") && Catch::Contains(pool.target()));

  server.start();
  CHECK(server.running());
  CHECK(server.port() == port);   // same URL as before
  auto lease = pool.acquire();
  CHECK(select_one(*lease) == 1);
  CHECK(pool.with_connection([](pqxx::connection& c) { return select_one(c); }) == 1);
}

TEST_CASE("ConnectionPool::with_connection turns a lost connection into Unavailable", "[pool]") {
  ConnectionPool pool(edfleet::pg::test::fresh_database("pool_with"), 1);
  CHECK(pool.with_connection([](pqxx::connection& c) { return select_one(c); }) == 1);
  CHECK(pool.idle_connections() == 1);
  // The session is killed by the server in the middle of the work.
  CHECK_THROWS_AS(pool.with_connection([](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    return 0;
  }),
                  Unavailable);
  CHECK(pool.open_connections() == 0);
  CHECK(pool.with_connection([](pqxx::connection& c) { return select_one(c); }) == 1);
}

TEST_CASE("ConnectionPool::with_connection turns a retryable SQLSTATE into Unavailable, and only that",
          "[pool]") {
  ConnectionPool pool(edfleet::pg::test::fresh_database("pool_sqlstate"), 1);
  const auto raise = [&pool](const std::string& sqlstate) {
    return pool.with_connection([&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      tx.exec("DO $$ BEGIN RAISE EXCEPTION 'raised by the test' USING ERRCODE = '" + sqlstate + "'; END $$");
      return 0;
    });
  };
  CHECK_THROWS_AS(raise("40001"), Unavailable);  // serialization failure: the connection stays
  CHECK(pool.open_connections() == 1);
  CHECK_THROWS_AS(raise("23505"), pqxx::unique_violation);  // bad data: not Unavailable
  CHECK(pool.open_connections() == 1);
  CHECK(pool.with_connection([](pqxx::connection& c) { return select_one(c); }) == 1);
}
