#include "adapters/pg_xapi_catalog.h"

#include <algorithm>

#include <pqxx/pqxx>

namespace edfleet::ingest {

PgXapiCatalog::PgXapiCatalog(pg::ConnectionPool& pool) : pool_(pool) {}

std::vector<std::string> PgXapiCatalog::agent_names(const std::string& tenant, const std::string& agent_key,
                                                    std::size_t limit) {
  return pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    // The newest 500 statements per role bound the work for agents with very many statements.
    const auto rows = txn.exec_params(
        "SELECT name FROM ("
        "  SELECT name, max(stored) AS latest FROM ("
        "    (SELECT statement::jsonb -> 'actor' ->> 'name' AS name, stored FROM xapi_statements"
        "      WHERE tenant = $1 AND actor_key = $2 ORDER BY stored DESC LIMIT 500)"
        "    UNION ALL"
        "    (SELECT statement::jsonb -> 'object' ->> 'name' AS name, stored FROM xapi_statements"
        "      WHERE tenant = $1 AND object_agent_key = $2 ORDER BY stored DESC LIMIT 500)) seen"
        "  WHERE name IS NOT NULL GROUP BY name) names ORDER BY latest DESC, name LIMIT $3",
        tenant, agent_key, static_cast<std::int64_t>(limit));
    std::vector<std::string> out;
    for (const auto& row : rows) out.push_back(row[0].as<std::string>());
    return out;
  });
}

std::vector<nlohmann::json> PgXapiCatalog::statements_about_activity(const std::string& tenant,
                                                                      const std::string& activity_id,
                                                                      std::size_t limit) {
  return pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    const auto rows = txn.exec_params(
        "SELECT statement FROM xapi_statements WHERE tenant = $1 AND NOT voided AND (activity_id = $2 OR "
        "statement_id IN (SELECT statement_id FROM xapi_statement_related"
        "                 WHERE tenant = $1 AND kind = 'activity' AND key = $2))"
        " ORDER BY stored DESC, statement_id DESC LIMIT $3",
        tenant, activity_id, static_cast<std::int64_t>(limit));
    std::vector<nlohmann::json> out;
    for (const auto& row : rows) out.push_back(nlohmann::json::parse(row[0].as<std::string>(), nullptr, false));
    std::reverse(out.begin(), out.end());
    return out;
  });
}

}  // namespace edfleet::ingest
