// API key management straight against the gateway's database, for operators' tools: the
// `edfleet keys create|list|revoke` command (bootstrapping a tenant's first admin key, which cannot
// come from GatewayAdmin since that needs an admin key already) and the gateway's test bed.
// Everyone else manages keys through GatewayAdmin (gRPC or gRPC-Web) with an admin key.
//
//   gateway::ApiKeyAdmin admin("postgresql://postgres@127.0.0.1:5432/edfleet_gateway");
//   auto created = admin.create("acme", "ops laptop", {"admin"});   // created->key: shown once
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "domain/api_keys.h"
#include "edfleet/core/result.h"

namespace edfleet::gateway {

class ApiKeyAdmin {
 public:
  // Connects lazily; applies the gateway's migrations first when `migrate` (as the gateway does).
  // Throws pg::Unavailable when the database cannot be reached.
  explicit ApiKeyAdmin(std::string postgres_url, bool migrate = true);
  ~ApiKeyAdmin();

  core::Result<CreatedApiKey> create(const std::string& tenant, const std::string& name,
                                     const std::vector<std::string>& roles);
  core::Result<std::vector<ApiKeyRecord>> list(const std::string& tenant);
  core::Result<ApiKeyRecord> revoke(const std::string& id, const std::string& tenant);

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace edfleet::gateway
