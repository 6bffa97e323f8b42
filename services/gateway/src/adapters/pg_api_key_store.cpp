#include "adapters/pg_api_key_store.h"

#include <pqxx/pqxx>

#include "edfleet/core/log.h"

namespace edfleet::gateway {
namespace {

// Columns in the order row_to_record reads them; times as microseconds since the epoch, exactly.
constexpr const char* kColumns =
    "id, tenant, name, array_to_string(roles, ','), secret_sha256, "
    "(extract(epoch from created_at) * 1000000)::bigint, (extract(epoch from revoked_at) * 1000000)::bigint";

std::vector<std::string> split_roles(const std::string& text) {
  std::vector<std::string> roles;
  std::size_t start = 0;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) roles.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return roles;
}

std::string join_roles(const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& role : roles) out += (out.empty() ? "" : ",") + role;
  return out;
}

core::Timestamp from_micros(std::int64_t micros) { return core::Timestamp(std::chrono::microseconds(micros)); }

ApiKeyRecord row_to_record(const pqxx::row& row) {
  ApiKeyRecord record;
  record.id = row[0].as<std::string>();
  record.tenant = row[1].as<std::string>();
  record.name = row[2].as<std::string>();
  record.roles = split_roles(row[3].as<std::string>());
  record.secret_sha256 = row[4].as<std::string>();
  record.created_at = from_micros(row[5].as<std::int64_t>());
  if (!row[6].is_null()) record.revoked_at = from_micros(row[6].as<std::int64_t>());
  return record;
}

template <typename Fn>
auto guarded(pg::ConnectionPool& pool, Fn&& fn) {
  try {
    return pool.with_connection(std::forward<Fn>(fn));
  } catch (const pg::Unavailable& e) {
    // The detail stays on the server: callers only hear that API keys cannot be checked.
    core::log::warn("api key store unavailable", {{"error", e.what()}});
    throw KeyStoreUnavailable(e.what());
  }
}

}  // namespace

std::optional<ApiKeyRecord> PgApiKeyStore::find(const std::string& id) {
  return guarded(pool_, [&](pqxx::connection& connection) -> std::optional<ApiKeyRecord> {
    pqxx::read_transaction tx(connection);
    auto rows = tx.exec_params(std::string("SELECT ") + kColumns + " FROM api_keys WHERE id = $1", id);
    if (rows.empty()) return std::nullopt;
    return row_to_record(rows[0]);
  });
}

bool PgApiKeyStore::insert(const ApiKeyRecord& record) {
  return guarded(pool_, [&](pqxx::connection& connection) {
    pqxx::work tx(connection);
    auto rows = tx.exec_params(
        "INSERT INTO api_keys (id, tenant, name, roles, secret_sha256, created_at) "
        "VALUES ($1, $2, $3, string_to_array($4, ','), $5, 'epoch'::timestamptz + $6 * interval '1 microsecond') "
        "ON CONFLICT (id) DO NOTHING RETURNING id",
        record.id, record.tenant, record.name, join_roles(record.roles), record.secret_sha256,
        static_cast<std::int64_t>(record.created_at.time_since_epoch().count()));
    tx.commit();
    return !rows.empty();
  });
}

std::vector<ApiKeyRecord> PgApiKeyStore::list(const std::string& tenant) {
  return guarded(pool_, [&](pqxx::connection& connection) {
    pqxx::read_transaction tx(connection);
    auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                   " FROM api_keys WHERE tenant = $1 ORDER BY created_at, id",
                               tenant);
    std::vector<ApiKeyRecord> records;
    records.reserve(rows.size());
    for (const auto& row : rows) records.push_back(row_to_record(row));
    return records;
  });
}

std::optional<ApiKeyRecord> PgApiKeyStore::revoke(const std::string& id, core::Timestamp at) {
  return guarded(pool_, [&](pqxx::connection& connection) -> std::optional<ApiKeyRecord> {
    pqxx::work tx(connection);
    auto rows = tx.exec_params(
        std::string("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, "
                    "'epoch'::timestamptz + $2 * interval '1 microsecond') WHERE id = $1 RETURNING ") +
            kColumns,
        id, static_cast<std::int64_t>(at.time_since_epoch().count()));
    tx.commit();
    if (rows.empty()) return std::nullopt;
    return row_to_record(rows[0]);
  });
}

}  // namespace edfleet::gateway
