// The server interceptor that checks every call's caller identity before its handler runs.
//
// gRPC C++ (1.51) cannot refuse a call from an interceptor, and AuthMetadataProcessor does not work
// with insecure credentials, so the interceptor does the next best thing: metadata that claims a
// tenant, principal or roles without a valid signature is removed, and kIdentityRejectedKey says
// why. A handler then finds no identity and refuses; caller_tenant() words the refusal.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include "edfleet/identity/caller_identity.h"

namespace edfleet::grpc::detail {

class IdentityInterceptorFactory final : public ::grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit IdentityInterceptorFactory(const identity::IdentityVerifier* verifier) : verifier_(verifier) {}
  ::grpc::experimental::Interceptor* CreateServerInterceptor(::grpc::experimental::ServerRpcInfo* info) override;

 private:
  const identity::IdentityVerifier* verifier_;
};

}  // namespace edfleet::grpc::detail
