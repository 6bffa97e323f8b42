// The checks every external request passes, in order: who is calling (authentication), how fast
// (rate limits per key and per tenant), and whether its roles allow the method (authorization).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/access_policy.h"
#include "domain/authenticator.h"
#include "domain/rate_limiter.h"
#include "edfleet/core/result.h"
#include "transport/gateway_metrics.h"

namespace edfleet::gateway {

struct GateRefusal {
  core::Error error;                          // kUnauthenticated, kPermissionDenied, kResourceExhausted, kUnavailable
  std::chrono::milliseconds retry_after{0};   // for kResourceExhausted
  std::vector<std::string> needed_roles;      // for kPermissionDenied: the roles that allow the method
};

class RequestGate {
 public:
  RequestGate(const Authenticator& authenticator, RateLimiter& limiter, const AccessPolicy& policy,
              GatewayMetrics& metrics);

  // `method` is "/package.Service/Method" (HTTP routes pass the method they stand for);
  // `client_address` is the peer's, charged for a failed authentication. Returns the caller, or why
  // it is refused (and counts the refusal in the metrics).
  std::variant<Principal, GateRefusal> admit(std::string_view authorization, std::string_view method,
                                             std::string_view client_address);

  const Authenticator& authenticator() const { return authenticator_; }

 private:
  const Authenticator& authenticator_;
  RateLimiter& limiter_;
  const AccessPolicy& policy_;
  GatewayMetrics& metrics_;
};

}  // namespace edfleet::gateway
