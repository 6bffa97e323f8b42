#include "transport/request_gate.h"

#include "edfleet/core/log.h"

namespace edfleet::gateway {

RequestGate::RequestGate(const Authenticator& authenticator, RateLimiter& limiter, const AccessPolicy& policy,
                         GatewayMetrics& metrics)
    : authenticator_(authenticator), limiter_(limiter), policy_(policy), metrics_(metrics) {}

std::variant<Principal, GateRefusal> RequestGate::admit(std::string_view authorization, std::string_view method,
                                                       std::string_view client_address) {
  auto principal = authenticator_.authenticate(authorization);
  if (!principal) {
    if (principal.error().code == core::ErrorCode::kUnavailable) {
      metrics_.rejected("auth_unavailable");
      core::log::warn("authentication unavailable", {{"error", principal.error().message}});
    } else {
      metrics_.rejected("unauthenticated");
      limiter_.authentication_failed(client_address);
    }
    return GateRefusal{principal.error(), {}};
  }
  auto decision = limiter_.admit(principal->limit_key, principal->tenant);
  if (!decision.allowed) {
    metrics_.rejected("rate_limited_" + decision.scope);
    return GateRefusal{core::Error{core::ErrorCode::kResourceExhausted,
                                   "rate limit exceeded for this " + std::string(decision.scope == "key" ? "key" : "tenant") +
                                       "; retry after " + std::to_string(decision.retry_after.count()) + " ms",
                                   {}},
                       decision.retry_after};
  }
  if (!policy_.allows(principal->roles, method)) {
    metrics_.rejected("permission_denied");
    auto needed = policy_.roles_allowing(method);
    std::string needed_text;
    for (const auto& role : needed) needed_text += (needed_text.empty() ? "" : ", ") + role;
    return GateRefusal{core::Error{core::ErrorCode::kPermissionDenied,
                                   "the caller's roles (" + principal->roles_text() + ") do not allow " +
                                       std::string(method) + "; it needs one of the roles " +
                                       (needed_text.empty() ? "(none is configured)" : needed_text),
                                   {}},
                       {},
                       std::move(needed)};
  }
  return std::move(principal).value();
}

}  // namespace edfleet::gateway
