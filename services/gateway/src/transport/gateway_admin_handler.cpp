#include "transport/gateway_admin_handler.h"

#include <string>
#include <string_view>

namespace edfleet::gateway {
namespace {

::grpc::Status not_yet(std::string_view method) {
  return {::grpc::StatusCode::UNIMPLEMENTED,
          std::string(v1::GatewayAdmin::service_full_name()) + "/" + std::string(method) +
              " is not implemented yet: API key management is delivered by issue #4"};
}

}  // namespace

::grpc::Status GatewayAdminHandler::CreateApiKey(::grpc::ServerContext*, const v1::CreateApiKeyRequest*,
                                                 v1::CreateApiKeyResponse*) {
  return not_yet("CreateApiKey");
}

::grpc::Status GatewayAdminHandler::ListApiKeys(::grpc::ServerContext*, const v1::ListApiKeysRequest*,
                                                v1::ListApiKeysResponse*) {
  return not_yet("ListApiKeys");
}

::grpc::Status GatewayAdminHandler::RevokeApiKey(::grpc::ServerContext*, const v1::RevokeApiKeyRequest*,
                                                 v1::ApiKey*) {
  return not_yet("RevokeApiKey");
}

}  // namespace edfleet::gateway
