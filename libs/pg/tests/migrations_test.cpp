#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <vector>

#include <pqxx/nontransaction>
#include <pqxx/result>

#include "edfleet/pg/migrations.h"
#include "test_support.h"

using edfleet::pg::apply_migrations;
using edfleet::pg::Migration;
using edfleet::pg::MigrationError;

namespace edfleet::pg::test {
const std::vector<Migration>& migrations();  // generated from tests/migrations
}

namespace {

std::vector<std::string> column(pqxx::connection& c, const std::string& query) {
  pqxx::nontransaction tx(c);
  std::vector<std::string> out;
  for (const auto& row : tx.exec(query)) out.push_back(row[0].is_null() ? "NULL" : row[0].c_str());
  return out;
}

const std::vector<Migration> kSteps = {
    // Deliberately out of order: they must run by version.
    {3, "insert_three", "INSERT INTO steps (label) VALUES ('three');"},
    {1, "create_steps", "CREATE TABLE steps (seq serial PRIMARY KEY, label text NOT NULL);"},
    {2, "insert_two", "INSERT INTO steps (label) VALUES ('two');\nINSERT INTO steps (label) VALUES ('two again');"},
};

}  // namespace

TEST_CASE("apply_migrations applies in version order, once, and records each", "[migrations]") {
  pqxx::connection c(edfleet::pg::test::fresh_database("mig_order"));
  apply_migrations(c, "steps", kSteps);
  CHECK(column(c, "SELECT label FROM steps ORDER BY seq") ==
        std::vector<std::string>{"two", "two again", "three"});
  CHECK(column(c, "SELECT version || ' ' || name FROM schema_migrations WHERE component = 'steps' ORDER BY version") ==
        std::vector<std::string>{"1 create_steps", "2 insert_two", "3 insert_three"});
  CHECK(column(c, "SELECT checksum FROM schema_migrations WHERE component = 'steps' AND version = 2") ==
        std::vector<std::string>{edfleet::pg::migration_checksum(kSteps[2].sql)});
  auto applied_at = column(c, "SELECT applied_at::text FROM schema_migrations ORDER BY version");

  // Running again changes nothing.
  apply_migrations(c, "steps", kSteps);
  CHECK(column(c, "SELECT count(*) FROM steps") == std::vector<std::string>{"3"});
  CHECK(column(c, "SELECT applied_at::text FROM schema_migrations ORDER BY version") == applied_at);

  // A later build with one more migration applies just that one.
  auto more = kSteps;
  more.push_back({4, "insert_four", "INSERT INTO steps (label) VALUES ('four');"});
  apply_migrations(c, "steps", more);
  CHECK(column(c, "SELECT label FROM steps ORDER BY seq") ==
        std::vector<std::string>{"two", "two again", "three", "four"});
}

TEST_CASE("apply_migrations rejects an applied migration whose SQL changed", "[migrations]") {
  pqxx::connection c(edfleet::pg::test::fresh_database("mig_checksum"));
  apply_migrations(c, "steps", kSteps);
  auto edited = kSteps;
  edited[2].sql += "\n-- edited";
  edited.push_back({4, "insert_four", "INSERT INTO steps (label) VALUES ('four');"});
  try {
    apply_migrations(c, "steps", edited);
    FAIL("expected MigrationError");
  } catch (const MigrationError& e) {
    CHECK_THAT(e.what(), Catch::Contains("0002_insert_two") && Catch::Contains("'steps'") &&
                             Catch::Contains("changed after it was applied") &&
                             Catch::Contains(edfleet::pg::migration_checksum(kSteps[2].sql)));
  }
  // Nothing was applied after the check failed.
  CHECK(column(c, "SELECT count(*) FROM steps") == std::vector<std::string>{"3"});
  CHECK(column(c, "SELECT max(version)::text FROM schema_migrations") == std::vector<std::string>{"3"});
}

TEST_CASE("apply_migrations keeps components apart", "[migrations]") {
  pqxx::connection c(edfleet::pg::test::fresh_database("mig_components"));
  apply_migrations(c, "alpha", {{1, "a", "CREATE TABLE alpha (x int);"}});
  apply_migrations(c, "beta", {{1, "b", "CREATE TABLE beta (x int);"}});
  CHECK(column(c, "SELECT component FROM schema_migrations ORDER BY component") ==
        std::vector<std::string>{"alpha", "beta"});
  CHECK(column(c, "SELECT to_regclass('beta')::text") == std::vector<std::string>{"beta"});
}

TEST_CASE("a failing migration is rolled back, earlier ones stay", "[migrations]") {
  pqxx::connection c(edfleet::pg::test::fresh_database("mig_failure"));
  std::vector<Migration> migrations = {
      {1, "create_ok", "CREATE TABLE ok (x int);"},
      {2, "broken", "CREATE TABLE half (x int);\nSELECT no_such_column FROM ok;"},
  };
  try {
    apply_migrations(c, "failing", migrations);
    FAIL("expected MigrationError");
  } catch (const MigrationError& e) {
    CHECK_THAT(e.what(), Catch::Contains("0002_broken") && Catch::Contains("no_such_column"));
  }
  CHECK(column(c, "SELECT version::text FROM schema_migrations") == std::vector<std::string>{"1"});
  CHECK(column(c, "SELECT coalesce(to_regclass('half')::text, 'NULL')") == std::vector<std::string>{"NULL"});
}

TEST_CASE("concurrent apply_migrations apply each migration exactly once", "[migrations]") {
  std::string url = edfleet::pg::test::fresh_database("mig_concurrent");
  std::vector<Migration> migrations = {
      {1, "create", "CREATE TABLE hits (who text);"},
      {2, "hit", "INSERT INTO hits VALUES (current_setting('application_name'));"},
      {3, "hit_again", "INSERT INTO hits VALUES ('again');"},
  };
  std::vector<std::future<void>> instances;
  for (int i = 0; i < 4; ++i) {
    instances.push_back(std::async(std::launch::async, [&url, &migrations] {
      pqxx::connection c(url);
      apply_migrations(c, "racing", migrations);
    }));
  }
  for (auto& instance : instances) instance.get();  // rethrows a failure
  pqxx::connection c(url);
  CHECK(column(c, "SELECT count(*) FROM hits") == std::vector<std::string>{"2"});
  CHECK(column(c, "SELECT count(*) FROM schema_migrations") == std::vector<std::string>{"3"});
}

TEST_CASE("apply_migrations rejects invalid versions", "[migrations]") {
  pqxx::connection c(edfleet::pg::test::fresh_database("mig_invalid"));
  CHECK_THROWS_AS(apply_migrations(c, "bad", {{0, "zero", "SELECT 1"}}), std::invalid_argument);
  CHECK_THROWS_AS(apply_migrations(c, "bad", {{1, "a", "SELECT 1"}, {1, "b", "SELECT 2"}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(apply_migrations(c, "", {{1, "a", "SELECT 1"}}), std::invalid_argument);
}

TEST_CASE("embedded migrations from a directory apply", "[migrations]") {
  pqxx::connection c(edfleet::pg::test::fresh_database("mig_embedded"));
  apply_migrations(c, "pg_tests", edfleet::pg::test::migrations());
  {
    pqxx::nontransaction tx(c);
    tx.exec("INSERT INTO items (name) VALUES ('first')");
  }
  CHECK(column(c, "SELECT note FROM items") == std::vector<std::string>{"it's \"quoted\" \\ )\" é ✓"});
  CHECK(column(c, "SELECT indexname FROM pg_indexes WHERE tablename = 'items' ORDER BY indexname") ==
        std::vector<std::string>{"items_name", "items_pkey"});
  CHECK(column(c, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations") ==
        std::vector<std::string>{"1,2,10"});
}
