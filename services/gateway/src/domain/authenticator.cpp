#include "domain/authenticator.h"

namespace edfleet::gateway {

Authenticator::Authenticator(CachingKeyLookup* keys, const JwtKeyRing* jwt_keys, JwtPolicy policy,
                             const core::Clock& clock)
    : keys_(keys), jwt_keys_(jwt_keys), policy_(std::move(policy)), clock_(clock) {}

core::Result<Principal> Authenticator::authenticate(std::string_view authorization) const {
  auto credentials = parse_authorization(authorization);
  if (!credentials) return credentials.error();
  auto unauthenticated = [](std::string message) {
    return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), {}};
  };
  if (std::holds_alternative<NoCredentials>(*credentials)) {
    return unauthenticated("credentials required: send Authorization: Bearer <API key or JWT> or Basic");
  }
  if (const auto* key = std::get_if<ApiKeyCredential>(&*credentials)) {
    if (keys_ == nullptr) return unauthenticated("API keys are not enabled on this gateway");
    return verify_api_key(*keys_, *key);
  }
  const auto& bearer = std::get<BearerToken>(*credentials);
  if (!jwt_enabled()) return unauthenticated("bearer JWTs are not accepted by this gateway");
  return verify_jwt(bearer.token, *jwt_keys_, policy_, clock_.now());
}

}  // namespace edfleet::gateway
