// Who a call is made for, as the gateway vouches for it to the services behind it.
//
// The gateway authenticates clients (API keys, JWTs) and tells upstream services the caller's
// tenant, principal and roles in x-edfleet-tenant / -principal / -roles (gRPC metadata or HTTP
// headers). A service must believe those only when the gateway sent them: anything that can reach a
// service's port could send them too. So the gateway signs them: x-edfleet-identity carries an
// HMAC-SHA256, under a secret the fleet shares (internal_auth.secret), of the three values and an
// expiry a minute ahead. Services verify it before any handler sees the identity (the gRPC server
// interceptor in libs/grpc, ingest's HTTP routes) and refuse unsigned, altered, expired or repeated
// identity metadata. Internal tools that act for a tenant (edfleet CLI, simulator) sign the same way
// with the same secret. The signature is bound to the identity, not to the request: whoever can read
// internal traffic can replay it within its lifetime, so production networks between the gateway and
// the services should be private or mutually authenticated (docs/security.md).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"

namespace edfleet::identity {

// Metadata keys (gRPC) and header names (HTTP, any case) of the caller identity.
inline constexpr std::string_view kTenantKey = "x-edfleet-tenant";
inline constexpr std::string_view kPrincipalKey = "x-edfleet-principal";
inline constexpr std::string_view kRolesKey = "x-edfleet-roles";  // comma-separated
inline constexpr std::string_view kSignatureKey = "x-edfleet-identity";

// What the gateway vouches for. Empty fields are "not claimed".
struct CallerIdentity {
  std::string tenant;
  std::string principal;
  std::string roles;
  bool empty() const { return tenant.empty() && principal.empty() && roles.empty(); }
};

// The configuration every service shares (keys internal_auth.*).
struct InternalAuthSettings {
  std::string secret;                         // signs and verifies; at least 32 bytes
  std::vector<std::string> accepted_secrets;  // also verify (rotation: the previous secret)
  std::chrono::milliseconds ttl{60000};       // how long a signature is valid after it is made
};

// Checks the settings; the error names the key (internal_auth.secret ...).
core::Result<void> validate(const InternalAuthSettings& settings);

// Signs identities: "v1.<expiry, Unix ms>.<hex HMAC-SHA256>". Thread-safe.
class IdentitySigner {
 public:
  IdentitySigner(std::string secret, const core::Clock& clock, std::chrono::milliseconds ttl);
  std::string sign(const CallerIdentity& identity) const;

 private:
  std::string secret_;
  const core::Clock& clock_;
  std::chrono::milliseconds ttl_;
};

// Verifies signatures made with any of `secrets`. Thread-safe.
class IdentityVerifier {
 public:
  // `max_ttl` bounds how far ahead an expiry may lie (plus a minute of clock skew), so a signature
  // minted with a long life by mistake is not honoured for it.
  IdentityVerifier(std::vector<std::string> secrets, const core::Clock& clock, std::chrono::milliseconds max_ttl);
  // UNAUTHENTICATED, saying why, unless `signature` is a valid, unexpired signature of `identity`.
  core::Result<void> verify(const CallerIdentity& identity, std::string_view signature) const;

 private:
  std::vector<std::string> secrets_;
  const core::Clock& clock_;
  std::chrono::milliseconds max_ttl_;
};

// Every value a request carries for a key (any transport): gRPC metadata or HTTP headers.
using ValuesOf = std::function<std::vector<std::string>(std::string_view key)>;

// What a request claims about its caller, checked: nullopt when it claims nothing (no tenant,
// principal or roles), the identity when its signature is valid, else UNAUTHENTICATED naming the
// fault (unsigned, bad or expired signature, a key given more than once).
core::Result<std::optional<CallerIdentity>> authenticate_caller(const ValuesOf& values_of,
                                                                const IdentityVerifier& verifier);

}  // namespace edfleet::identity
