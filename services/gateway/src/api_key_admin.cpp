#include "api_key_admin.h"

#include "adapters/openssl_secret_source.h"
#include "adapters/pg_api_key_store.h"
#include "edfleet/core/clock.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/pg/pool.h"

namespace edfleet::gateway {

struct ApiKeyAdmin::Parts {
  explicit Parts(std::string url)
      : pool(std::move(url), 1), store(pool), service(store, secrets, core::SystemClock::instance()) {}
  pg::ConnectionPool pool;
  PgApiKeyStore store;
  OpensslSecretSource secrets;
  ApiKeyService service;
};

ApiKeyAdmin::ApiKeyAdmin(std::string postgres_url, bool migrate) : parts_(std::make_unique<Parts>(std::move(postgres_url))) {
  if (migrate) {
    auto connection = parts_->pool.acquire();
    pg::apply_migrations(*connection, "gateway", migrations());
  }
}

ApiKeyAdmin::~ApiKeyAdmin() = default;

core::Result<CreatedApiKey> ApiKeyAdmin::create(const std::string& tenant, const std::string& name,
                                                const std::vector<std::string>& roles) {
  return parts_->service.create(tenant, name, roles);
}

core::Result<std::vector<ApiKeyRecord>> ApiKeyAdmin::list(const std::string& tenant) {
  return parts_->service.list(tenant);
}

core::Result<ApiKeyRecord> ApiKeyAdmin::revoke(const std::string& id, const std::string& tenant) {
  return parts_->service.revoke(id, tenant);
}

}  // namespace edfleet::gateway
