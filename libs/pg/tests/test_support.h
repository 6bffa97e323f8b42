// Shared fixtures of pg_integration_tests: one embedded server for the whole binary.
#pragma once

#include <string>
#include <string_view>

#include <pqxx/connection>

#include "edfleet/pg/embedded_postgres.h"

namespace edfleet::pg::test {

EmbeddedPostgres& postgres();
// Creates a new database <prefix>_<n> on postgres() and returns its URL.
std::string fresh_database(std::string_view prefix);
int backend_pid(pqxx::connection& connection);

}  // namespace edfleet::pg::test
