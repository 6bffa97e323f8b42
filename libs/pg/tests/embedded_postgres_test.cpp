#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include <pqxx/nontransaction>

#include "edfleet/pg/embedded_postgres.h"
#include "test_support.h"

using edfleet::pg::EmbeddedPostgres;

TEST_CASE("EmbeddedPostgres serves on loopback with a postgres URL", "[embedded]") {
  auto& server = edfleet::pg::test::postgres();
  REQUIRE(server.running());
  CHECK(server.port() > 0);
  CHECK(server.url("x") == "postgresql://postgres@127.0.0.1:" + std::to_string(server.port()) + "/x");
  CHECK(std::filesystem::exists(std::filesystem::path(server.data_dir()) / "PG_VERSION"));

  pqxx::connection c(server.url());
  pqxx::nontransaction tx(c);
  CHECK(tx.exec("SELECT current_user")[0][0].as<std::string>() == "postgres");
  CHECK(tx.exec("SHOW listen_addresses")[0][0].as<std::string>() == "127.0.0.1");
  CHECK(tx.exec("SHOW fsync")[0][0].as<std::string>() == "off");
  CHECK(tx.exec("SHOW server_encoding")[0][0].as<std::string>() == "UTF8");
}

TEST_CASE("EmbeddedPostgres::create_database is idempotent and quotes the name", "[embedded]") {
  auto& server = edfleet::pg::test::postgres();
  server.create_database("Mixed Case-db");
  server.create_database("Mixed Case-db");
  pqxx::connection c(server.url("Mixed Case-db"));
  pqxx::nontransaction tx(c);
  CHECK(tx.exec("SELECT current_database()")[0][0].as<std::string>() == "Mixed Case-db");
}

TEST_CASE("EmbeddedPostgres keeps data and port across stop and start", "[embedded]") {
  auto& server = edfleet::pg::test::postgres();
  std::string url = edfleet::pg::test::fresh_database("embedded_restart");
  {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    tx.exec("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42);");
  }
  int port = server.port();
  server.stop();
  server.stop();  // no-op
  CHECK_FALSE(server.running());
  CHECK_THROWS_AS(pqxx::connection(url), pqxx::broken_connection);
  server.start();
  server.start();  // no-op
  CHECK(server.port() == port);
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  CHECK(tx.exec("SELECT x FROM kept")[0][0].as<int>() == 42);
}

TEST_CASE("EmbeddedPostgres reports a failed start with the server log", "[embedded]") {
  auto& server = edfleet::pg::test::postgres();
  // A second server on the same cluster cannot start while the first runs.
  try {
    EmbeddedPostgres second({.data_dir = server.data_dir(), .port = 0});
    FAIL("expected the second server not to start");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("did not start") && Catch::Contains("postmaster.pid"));
  }
  CHECK(server.running());
  pqxx::connection c(server.url());
  CHECK(c.is_open());
}

TEST_CASE("EmbeddedPostgres explains missing binaries", "[embedded]") {
  CHECK_THROWS_WITH(EmbeddedPostgres({.data_dir = "", .port = 0, .bin_dir = "/nonexistent/bin"}),
                    Catch::Contains("/nonexistent/bin/initdb") && Catch::Contains("bin_dir"));
}
