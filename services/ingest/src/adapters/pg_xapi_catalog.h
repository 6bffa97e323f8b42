// What the stored statements (migrations/0002, read only) say about agents and activities, for the
// Agents and Activities resources (Communication 2.4, 2.5).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edfleet/pg/pool.h"

namespace edfleet::ingest {

// Read-only queries of xapi_statements within one tenant. Throws pg::Unavailable / pqxx errors.
class PgXapiCatalog {
 public:
  explicit PgXapiCatalog(pg::ConnectionPool& pool);

  // The distinct names the agent (by xapi::actor_key) has in the latest statements where it is the actor
  // or the object, most recent first, at most `limit`.
  std::vector<std::string> agent_names(const std::string& tenant, const std::string& agent_key, std::size_t limit = 20);

  // The latest not-voided statements that mention the activity (object, context activities,
  // SubStatement), oldest first, at most `limit`.
  std::vector<nlohmann::json> statements_about_activity(const std::string& tenant, const std::string& activity_id,
                                                        std::size_t limit = 200);

 private:
  pg::ConnectionPool& pool_;
};

}  // namespace edfleet::ingest
