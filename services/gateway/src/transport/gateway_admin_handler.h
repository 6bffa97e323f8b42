// GatewayAdmin over gRPC. Until issue #4 delivers API key management, every method answers
// UNIMPLEMENTED with a message naming that issue, so callers get a clear answer, not a guess.
#pragma once

#include "edfleet/gateway/v1/gateway.grpc.pb.h"

namespace edfleet::gateway {

class GatewayAdminHandler final : public v1::GatewayAdmin::Service {
 public:
  ::grpc::Status CreateApiKey(::grpc::ServerContext* context, const v1::CreateApiKeyRequest* request,
                              v1::CreateApiKeyResponse* response) override;
  ::grpc::Status ListApiKeys(::grpc::ServerContext* context, const v1::ListApiKeysRequest* request,
                             v1::ListApiKeysResponse* response) override;
  ::grpc::Status RevokeApiKey(::grpc::ServerContext* context, const v1::RevokeApiKeyRequest* request,
                              v1::ApiKey* response) override;
};

}  // namespace edfleet::gateway
