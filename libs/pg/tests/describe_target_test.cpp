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
