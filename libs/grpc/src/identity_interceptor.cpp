#include "identity_interceptor.h"

#include <string>
#include <vector>

#include "edfleet/grpc/metadata.h"

namespace edfleet::grpc::detail {
namespace {

using ::grpc::experimental::InterceptionHookPoints;

bool is_identity_key(::grpc::string_ref key) {
  const std::string_view name(key.data(), key.size());
  return name == identity::kTenantKey || name == identity::kPrincipalKey || name == identity::kRolesKey ||
         name == identity::kSignatureKey || name == kIdentityRejectedKey;
}

class IdentityInterceptor final : public ::grpc::experimental::Interceptor {
 public:
  explicit IdentityInterceptor(const identity::IdentityVerifier* verifier) : verifier_(verifier) {}

  void Intercept(::grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      check(*methods->GetRecvInitialMetadata());
    }
    methods->Proceed();
  }

 private:
  void check(std::multimap<::grpc::string_ref, ::grpc::string_ref>& metadata) {
    const auto values_of = [&metadata](std::string_view key) {
      std::vector<std::string> values;
      auto [first, last] = metadata.equal_range(::grpc::string_ref(key.data(), key.size()));
      for (auto it = first; it != last; ++it) values.emplace_back(it->second.data(), it->second.size());
      return values;
    };
    // A client-sent "rejected" marker must not survive either.
    const bool forged_marker = !values_of(kIdentityRejectedKey).empty();
    std::string reason;
    if (verifier_ == nullptr) {
      if (!values_of(identity::kTenantKey).empty() || !values_of(identity::kPrincipalKey).empty() ||
          !values_of(identity::kRolesKey).empty()) {
        reason = "this server accepts no caller identity (no internal_auth configured)";
      }
    } else if (auto checked = identity::authenticate_caller(values_of, *verifier_); !checked) {
      reason = checked.error().message;
    }
    if (reason.empty() && !forged_marker) return;
    for (auto it = metadata.begin(); it != metadata.end();) {
      it = is_identity_key(it->first) ? metadata.erase(it) : std::next(it);
    }
    if (reason.empty()) return;
    // The map holds string_refs: the strings must live as long as the call (this interceptor does).
    reason_ = std::move(reason);
    metadata.emplace(::grpc::string_ref(kIdentityRejectedKey.data(), kIdentityRejectedKey.size()),
                     ::grpc::string_ref(reason_));
  }

  const identity::IdentityVerifier* verifier_;
  std::string reason_;
};

}  // namespace

::grpc::experimental::Interceptor* IdentityInterceptorFactory::CreateServerInterceptor(
    ::grpc::experimental::ServerRpcInfo*) {
  return new IdentityInterceptor(verifier_);
}

}  // namespace edfleet::grpc::detail
