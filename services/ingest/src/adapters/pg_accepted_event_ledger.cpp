#include "adapters/pg_accepted_event_ledger.h"

#include <pqxx/pqxx>

#include "edfleet/core/time_format.h"

namespace edfleet::ingest {

std::string pg_array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

PgAcceptedEventLedger::PgAcceptedEventLedger(pg::ConnectionPool& pool) : pool_(pool) {}

std::map<EventKey, std::string> PgAcceptedEventLedger::find(std::span<const EventKey> keys) {
  std::map<EventKey, std::string> found;
  if (keys.empty()) return found;
  std::vector<std::string> tenants, ids;
  for (const auto& key : keys) {
    tenants.push_back(key.tenant);
    ids.push_back(key.id);
  }
  pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::read_transaction tx(connection);
    const pqxx::result rows = tx.exec_params(
        "SELECT a.tenant, a.event_id::text, a.content_hash "
        "FROM accepted_events a "
        "JOIN unnest($1::text[], $2::uuid[]) AS k(tenant, event_id) "
        "  ON a.tenant = k.tenant AND a.event_id = k.event_id",
        pg_array_literal(tenants), pg_array_literal(ids));
    for (const auto& row : rows) {
      found.emplace(EventKey{row[0].as<std::string>(), row[1].as<std::string>()}, row[2].as<std::string>());
    }
    tx.commit();
  });
  return found;
}

void PgAcceptedEventLedger::record(std::span<const AcceptedEvent> events) {
  if (events.empty()) return;
  std::vector<std::string> tenants, ids, hashes, times;
  for (const auto& event : events) {
    tenants.push_back(event.key.tenant);
    ids.push_back(event.key.id);
    hashes.push_back(event.content_hash);
    times.push_back(core::format_rfc3339(event.accepted_at));
  }
  pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::work tx(connection);
    tx.exec_params(
        "INSERT INTO accepted_events (tenant, event_id, content_hash, accepted_at) "
        "SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[]) "
        "ON CONFLICT DO NOTHING",
        pg_array_literal(tenants), pg_array_literal(ids), pg_array_literal(hashes), pg_array_literal(times));
    tx.commit();
  });
}

}  // namespace edfleet::ingest
