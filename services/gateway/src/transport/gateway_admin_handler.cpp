#include "transport/gateway_admin_handler.h"

#include <string>

#include <google/protobuf/util/time_util.h>

#include "edfleet/core/log.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"

namespace edfleet::gateway {

void to_proto(const ApiKeyRecord& record, v1::ApiKey* out) {
  out->set_id(record.id);
  out->set_tenant(record.tenant);
  out->set_name(record.name);
  for (const auto& role : record.roles) out->add_roles(role);
  *out->mutable_created_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(record.created_at.time_since_epoch().count());
  if (record.revoked_at) {
    *out->mutable_revoked_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(record.revoked_at->time_since_epoch().count());
  }
}

GatewayAdminHandler::GatewayAdminHandler(ApiKeyService* keys, const Authenticator& authenticator,
                                         const AccessPolicy& policy)
    : keys_(keys), authenticator_(authenticator), policy_(policy) {}

::grpc::Status GatewayAdminHandler::admit(::grpc::ServerContext* context, const char* method, const std::string& tenant,
                                          Principal& principal) const {
  auto authenticated = authenticator_.authenticate(edfleet::grpc::metadata_value(*context, "authorization"));
  if (!authenticated) return edfleet::grpc::to_status(authenticated.error());
  const std::string full_method = std::string("/") + std::string(v1::GatewayAdmin::service_full_name()) + "/" + method;
  if (!policy_.allows(authenticated->roles, full_method)) {
    return {::grpc::StatusCode::PERMISSION_DENIED,
            "the caller's roles (" + authenticated->roles_text() + ") do not allow " + full_method};
  }
  if (!tenant.empty() && tenant != authenticated->tenant) {
    return {::grpc::StatusCode::PERMISSION_DENIED, "API keys of tenant " + tenant + " are not the caller's to manage"};
  }
  if (keys_ == nullptr) {
    return {::grpc::StatusCode::FAILED_PRECONDITION,
            "API keys are not enabled on this gateway (it has no postgres.url)"};
  }
  principal = std::move(authenticated).value();
  return ::grpc::Status::OK;
}

::grpc::Status GatewayAdminHandler::CreateApiKey(::grpc::ServerContext* context, const v1::CreateApiKeyRequest* request,
                                                 v1::CreateApiKeyResponse* response) {
  Principal caller;
  if (auto status = admit(context, "CreateApiKey", request->tenant(), caller); !status.ok()) return status;
  std::vector<std::string> roles(request->roles().begin(), request->roles().end());
  // A key never allows more than its creator: no minting an admin key from a narrower role.
  if (auto grant = policy_.check_grant(caller.roles, roles); !grant) {
    core::log::warn("api key creation refused", {{"tenant", caller.tenant}, {"roles", roles}, {"by", caller.subject},
                                                 {"error", grant.error().message}});
    return edfleet::grpc::to_status(grant.error());
  }
  auto created = keys_->create(caller.tenant, request->name(), roles);
  if (!created) return edfleet::grpc::to_status(created.error());
  to_proto(created->record, response->mutable_key());
  response->set_secret(created->key);
  core::log::info("api key created", {{"id", created->record.id}, {"tenant", caller.tenant},
                                      {"roles", created->record.roles}, {"by", caller.subject}});
  return ::grpc::Status::OK;
}

::grpc::Status GatewayAdminHandler::ListApiKeys(::grpc::ServerContext* context, const v1::ListApiKeysRequest* request,
                                                v1::ListApiKeysResponse* response) {
  Principal caller;
  if (auto status = admit(context, "ListApiKeys", request->tenant(), caller); !status.ok()) return status;
  auto keys = keys_->list(caller.tenant);
  if (!keys) return edfleet::grpc::to_status(keys.error());
  for (const auto& record : *keys) to_proto(record, response->add_keys());
  return ::grpc::Status::OK;
}

::grpc::Status GatewayAdminHandler::RevokeApiKey(::grpc::ServerContext* context, const v1::RevokeApiKeyRequest* request,
                                                 v1::ApiKey* response) {
  Principal caller;
  if (auto status = admit(context, "RevokeApiKey", "", caller); !status.ok()) return status;
  auto revoked = keys_->revoke(request->id(), caller.tenant);
  if (!revoked) return edfleet::grpc::to_status(revoked.error());
  to_proto(*revoked, response);
  core::log::info("api key revoked", {{"id", request->id()}, {"tenant", caller.tenant}, {"by", caller.subject}});
  return ::grpc::Status::OK;
}

}  // namespace edfleet::gateway
