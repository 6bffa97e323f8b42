#include <catch2/catch.hpp>
#include <stdexcept>

#include "edfleet/pg/pool.h"

using edfleet::pg::describe_target;

TEST_CASE("describe_target names host, port and database but never credentials", "[pool]") {
  CHECK(describe_target("postgresql://app:s3cret@db.internal:5433/analytics?sslmode=disable") ==
        "db.internal:5433/analytics");
  CHECK(describe_target("postgres://127.0.0.1/x") == "127.0.0.1:5432/x");
  CHECK(describe_target("host=10.0.0.5 port=6543 dbname=rules user=u password=p") ==
        "10.0.0.5:6543/rules");
  CHECK(describe_target("dbname=only") == "localhost:5432/only");
}

TEST_CASE("a malformed connection string is rejected at construction", "[pool]") {
  CHECK_THROWS_AS(describe_target("postgresql://[::1/x"), std::invalid_argument);
  CHECK_THROWS_AS(describe_target("host='x"), std::invalid_argument);
  CHECK_THROWS_AS(edfleet::pg::ConnectionPool("host=x bogus_option=1", 2), std::invalid_argument);
  CHECK_THROWS_AS(edfleet::pg::ConnectionPool("postgresql://127.0.0.1/x", 0), std::invalid_argument);
}

TEST_CASE("is_transient_sqlstate: what a retry may fix, and nothing else", "[pool]") {
  using edfleet::pg::is_transient_sqlstate;
  CHECK(is_transient_sqlstate("08006"));  // connection failure
  CHECK(is_transient_sqlstate("40001"));  // serialization failure
  CHECK(is_transient_sqlstate("40P01"));  // deadlock detected
  CHECK(is_transient_sqlstate("53300"));  // too many connections
  CHECK(is_transient_sqlstate("57P01"));  // admin shutdown
  CHECK_FALSE(is_transient_sqlstate("23505"));  // unique violation
  CHECK_FALSE(is_transient_sqlstate("42P01"));  // undefined table
  CHECK_FALSE(is_transient_sqlstate(""));
}
