// Authentication: the Authorization header -> the caller (tenant, subject, roles), by API key or JWT.
#pragma once

#include <string_view>

#include "domain/api_keys.h"
#include "domain/credentials.h"
#include "domain/jwt.h"
#include "edfleet/core/clock.h"
#include "ports/jwt_key_ring.h"

namespace edfleet::gateway {

class Authenticator {
 public:
  // `keys` null: API keys are not enabled. `jwt_keys` null or empty: JWTs are not accepted.
  Authenticator(CachingKeyLookup* keys, const JwtKeyRing* jwt_keys, JwtPolicy policy, const core::Clock& clock);

  // kUnauthenticated for missing, malformed, unknown, revoked, expired or badly signed
  // credentials (the message says which, without revealing whether a key id exists);
  // kUnavailable when the key store cannot be reached.
  core::Result<Principal> authenticate(std::string_view authorization) const;

  bool api_keys_enabled() const { return keys_ != nullptr; }
  bool jwt_enabled() const { return jwt_keys_ != nullptr && !jwt_keys_->empty(); }

 private:
  CachingKeyLookup* keys_;
  const JwtKeyRing* jwt_keys_;
  JwtPolicy policy_;
  const core::Clock& clock_;
};

}  // namespace edfleet::gateway
