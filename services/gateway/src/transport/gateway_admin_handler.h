// GatewayAdmin over gRPC, on the gateway's own gRPC port (and through gRPC-Web via the "self"
// route). The port is public, so every call authenticates its `authorization` metadata itself and
// needs a role that allows the method (admin by default). An admin manages its own tenant's keys
// only: a request naming another tenant is PERMISSION_DENIED, another tenant's key id NOT_FOUND.
// A new key's roles must be ones the policy knows (else INVALID_ARGUMENT) and allow nothing the
// caller's own roles do not (else PERMISSION_DENIED): see AccessPolicy::check_grant.
#pragma once

#include <optional>

#include "domain/access_policy.h"
#include "domain/api_keys.h"
#include "domain/authenticator.h"
#include "edfleet/gateway/v1/gateway.grpc.pb.h"

namespace edfleet::gateway {

class GatewayAdminHandler final : public v1::GatewayAdmin::Service {
 public:
  // `keys` null: API keys are not enabled (no database); every method is FAILED_PRECONDITION.
  GatewayAdminHandler(ApiKeyService* keys, const Authenticator& authenticator, const AccessPolicy& policy);

  ::grpc::Status CreateApiKey(::grpc::ServerContext* context, const v1::CreateApiKeyRequest* request,
                              v1::CreateApiKeyResponse* response) override;
  ::grpc::Status ListApiKeys(::grpc::ServerContext* context, const v1::ListApiKeysRequest* request,
                             v1::ListApiKeysResponse* response) override;
  ::grpc::Status RevokeApiKey(::grpc::ServerContext* context, const v1::RevokeApiKeyRequest* request,
                              v1::ApiKey* response) override;

 private:
  // The caller if it may call `method` for `tenant` ("" = its own tenant), else the refusal.
  ::grpc::Status admit(::grpc::ServerContext* context, const char* method, const std::string& tenant,
                       Principal& principal) const;

  ApiKeyService* keys_;
  const Authenticator& authenticator_;
  const AccessPolicy& policy_;
};

// The proto form of a stored key (no secret, no digest).
void to_proto(const ApiKeyRecord& record, v1::ApiKey* out);

}  // namespace edfleet::gateway
