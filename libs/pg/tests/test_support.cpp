#include "test_support.h"

#include <atomic>

#include <pqxx/nontransaction>

namespace edfleet::pg::test {

EmbeddedPostgres& postgres() {
  static EmbeddedPostgres instance;
  return instance;
}

std::string fresh_database(std::string_view prefix) {
  static std::atomic<int> counter{0};
  std::string name = std::string(prefix) + "_" + std::to_string(++counter);
  postgres().create_database(name);
  return postgres().url(name);
}

int backend_pid(pqxx::connection& connection) {
  pqxx::nontransaction tx(connection);
  return tx.exec("SELECT pg_backend_pid()")[0][0].as<int>();
}

}  // namespace edfleet::pg::test
