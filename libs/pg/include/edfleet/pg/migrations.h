// Schema migrations: versioned SQL files applied once, in order, recorded per component.
//
// Each service keeps its own migrations/NNNN_name.sql, embeds them at build time with the CMake
// function edfleet_embed_migrations(TARGET <lib> DIR <dir> FUNCTION <qualified name>) (see
// libs/pg/README.md), and applies them at start-up:
//
//   namespace edfleet::analytics { const std::vector<pg::Migration>& migrations(); }
//   auto conn = pool.acquire();
//   pg::apply_migrations(*conn, "analytics", edfleet::analytics::migrations());
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>

namespace edfleet::pg {

// One migration: version from the file's NNNN_ prefix, name from the rest (without .sql).
struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// A migration could not be applied, or an applied one no longer matches its source.
struct MigrationError : std::runtime_error {
  using runtime_error::runtime_error;
};

// Applies, in version order, the migrations not yet recorded in
// schema_migrations(component, version, name, checksum, applied_at) (created if missing).
// Each migration runs in its own transaction together with its record, under
// pg_advisory_xact_lock(hash of the component), so instances starting at the same time apply each
// migration exactly once. Before applying anything it checks that every migration already recorded
// still has the same checksum and throws MigrationError naming the migration if one was edited
// (add a new migration instead). A failing migration throws MigrationError with the server's
// message; earlier ones stay applied. Versions must be positive and unique (std::invalid_argument).
// Migrations cannot contain statements that refuse to run in a transaction (CREATE INDEX
// CONCURRENTLY, VACUUM) nor their own BEGIN/COMMIT.
void apply_migrations(pqxx::connection& connection, std::string_view component,
                      const std::vector<Migration>& migrations);

// The checksum recorded for a migration: "sha256:" + hex of the SQL with CRLF line ends
// normalised to LF (so a checkout's line-end conversion does not count as an edit).
std::string migration_checksum(std::string_view sql);

}  // namespace edfleet::pg
