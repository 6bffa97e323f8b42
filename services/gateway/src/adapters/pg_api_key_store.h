// ApiKeyStore in the gateway's Postgres database (table api_keys, migrations/0001_api_keys.sql).
#pragma once

#include <vector>

#include "edfleet/pg/pool.h"
#include "ports/api_key_store.h"

namespace edfleet::pg {
struct Migration;
}

namespace edfleet::gateway {

// The gateway's schema migrations (generated from migrations/*.sql).
const std::vector<pg::Migration>& migrations();

// Every method maps pg::Unavailable (server unreachable, pool exhausted) to KeyStoreUnavailable,
// logging the database's message as a warning; other database errors propagate.
class PgApiKeyStore final : public ApiKeyStore {
 public:
  explicit PgApiKeyStore(pg::ConnectionPool& pool) : pool_(pool) {}
  std::optional<ApiKeyRecord> find(const std::string& id) override;
  bool insert(const ApiKeyRecord& record) override;
  std::vector<ApiKeyRecord> list(const std::string& tenant) override;
  std::optional<ApiKeyRecord> revoke(const std::string& id, core::Timestamp at) override;

 private:
  pg::ConnectionPool& pool_;
};

}  // namespace edfleet::gateway
