#include "edfleet/pg/migrations.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>

#include <pqxx/result>
#include <pqxx/transaction>

#include "edfleet/core/log.h"
#include "notice_logger.h"
#include "edfleet/core/hash.h"

namespace edfleet::pg {
namespace {

// Serialises creating schema_migrations itself (two components may start at once).
constexpr int64_t kSetupLockKey = 0x6564666c65657431;  // "edfleet1"

// 64-bit FNV-1a: a stable advisory-lock key per component (unlike hashtext(), whose values
// PostgreSQL does not promise to keep across versions).
int64_t lock_key(std::string_view component) {
  uint64_t hash = 14695981039346656037ULL;
  for (char c : std::string("edfleet.schema_migrations/") + std::string(component)) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return static_cast<int64_t>(hash);
}

std::string label(const Migration& m) {
  char version[16];
  std::snprintf(version, sizeof version, "%04d", m.version);
  return std::string(version) + "_" + m.name;
}

bool is_blank(std::string_view sql) {
  return sql.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void check_unchanged(std::string_view component, const Migration& m, const std::string& recorded) {
  std::string current = migration_checksum(m.sql);
  if (recorded != current) {
    throw MigrationError("migration " + label(m) + " of component '" + std::string(component) +
                         "' was changed after it was applied (checksum in the database " +
                         recorded + ", in this build " + current +
                         "); restore it and add a new migration instead");
  }
}

}  // namespace

std::string migration_checksum(std::string_view sql) {
  std::string normalised;
  normalised.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '\r' && i + 1 < sql.size() && sql[i + 1] == '\n') continue;
    normalised += sql[i];
  }
  return "sha256:" + core::sha256_hex(normalised);
}

void apply_migrations(pqxx::connection& connection, std::string_view component_view,
                      const std::vector<Migration>& migrations) {
  const std::string component(component_view);
  if (component.empty()) throw std::invalid_argument("apply_migrations: empty component name");
  std::vector<const Migration*> ordered;
  std::set<int> versions;
  for (const auto& m : migrations) {
    if (m.version <= 0) {
      throw std::invalid_argument("migration '" + m.name + "' of component '" + component +
                                  "' has version " + std::to_string(m.version) +
                                  "; versions start at 1");
    }
    if (!versions.insert(m.version).second) {
      throw std::invalid_argument("component '" + component + "' has two migrations with version " +
                                  std::to_string(m.version));
    }
    ordered.push_back(&m);
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const Migration* a, const Migration* b) { return a->version < b->version; });

  NoticeLogger notices(connection);  // "relation already exists, skipping" is not news

  {
    pqxx::work tx(connection, "edfleet_migrations_setup");
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kSetupLockKey);
    tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component text NOT NULL,"
        " version integer NOT NULL,"
        " name text NOT NULL,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (component, version))");
    tx.commit();
  }

  // Refuse to touch anything if an applied migration was edited.
  std::map<int, std::string> applied;
  {
    pqxx::read_transaction tx(connection, "edfleet_migrations_check");
    for (const auto& row : tx.exec_params(
             "SELECT version, checksum FROM schema_migrations WHERE component = $1", component)) {
      applied.emplace(row[0].as<int>(), row[1].as<std::string>());
    }
  }
  for (const auto* m : ordered) {
    if (auto it = applied.find(m->version); it != applied.end()) check_unchanged(component, *m, it->second);
  }
  for (const auto& [version, checksum] : applied) {
    if (!versions.contains(version)) {
      // A newer build applied it (e.g. during a rollback): not fatal, but worth knowing.
      core::log::warn("database has a migration this build does not know",
                      {{"component", component}, {"version", version}});
    }
  }

  const int64_t key = lock_key(component);
  for (const auto* m : ordered) {
    if (applied.contains(m->version)) continue;
    pqxx::work tx(connection, "edfleet_migration");
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", key);
    // Another instance may have applied it while we waited for the lock.
    auto existing = tx.exec_params(
        "SELECT checksum FROM schema_migrations WHERE component = $1 AND version = $2", component,
        m->version);
    if (!existing.empty()) {
      check_unchanged(component, *m, existing[0][0].as<std::string>());
      continue;
    }
    try {
      if (!is_blank(m->sql)) tx.exec(m->sql);
    } catch (const pqxx::sql_error& e) {
      std::string message = e.what();
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      throw MigrationError("migration " + label(*m) + " of component '" + component +
                           "' failed: " + message);
    }
    tx.exec_params(
        "INSERT INTO schema_migrations (component, version, name, checksum, applied_at)"
        " VALUES ($1, $2, $3, $4, now())",
        component, m->version, m->name, migration_checksum(m->sql));
    tx.commit();
    core::log::info("applied migration", {{"component", component},
                                          {"version", m->version},
                                          {"name", m->name}});
  }
}

}  // namespace edfleet::pg
