#include "edfleet/identity/caller_identity.h"

#include "edfleet/core/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>

namespace edfleet::identity {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kMinimumSecretBytes = 32;
constexpr std::chrono::milliseconds kClockSkew{60000};

std::int64_t unix_ms(core::Timestamp at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

// Length-prefixed fields, so no choice of values can make two identities sign alike.
std::string signing_input(const CallerIdentity& identity, std::int64_t expires_ms) {
  std::string input = "edfleet-identity-v1\n";
  for (std::string_view field : {std::string_view(identity.tenant), std::string_view(identity.principal),
                                 std::string_view(identity.roles)}) {
    input += std::to_string(field.size());
    input += ':';
    input += field;
    input += '\n';
  }
  input += std::to_string(expires_ms);
  return input;
}

std::string hmac_hex(std::string_view secret, std::string_view input) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(), &length);
  return core::to_hex(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

core::Error unauthenticated(std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), std::string(kSignatureKey)};
}

}  // namespace

core::Result<void> validate(const InternalAuthSettings& settings) {
  if (settings.secret.size() < kMinimumSecretBytes) {
    return core::Error::invalid(
        "key 'internal_auth.secret' must be set to a secret of at least 32 bytes, the same for the gateway and "
        "every service (env EDFLEET_INTERNAL_AUTH_SECRET); services trust caller identities only when signed "
        "with it",
        "internal_auth.secret");
  }
  for (const auto& accepted : settings.accepted_secrets) {
    if (accepted.size() < kMinimumSecretBytes) {
      return core::Error::invalid("key 'internal_auth.accepted_secrets': every secret needs at least 32 bytes",
                                  "internal_auth.accepted_secrets");
    }
  }
  if (settings.ttl.count() <= 0 || settings.ttl > std::chrono::minutes(10)) {
    return core::Error::invalid("key 'internal_auth.ttl' must be between 1 ms and 10 minutes", "internal_auth.ttl");
  }
  return {};
}

IdentitySigner::IdentitySigner(std::string secret, const core::Clock& clock, std::chrono::milliseconds ttl)
    : secret_(std::move(secret)), clock_(clock), ttl_(ttl) {}

std::string IdentitySigner::sign(const CallerIdentity& identity) const {
  const std::int64_t expires = unix_ms(clock_.now()) + ttl_.count();
  return std::string(kVersion) + "." + std::to_string(expires) + "." + hmac_hex(secret_, signing_input(identity, expires));
}

IdentityVerifier::IdentityVerifier(std::vector<std::string> secrets, const core::Clock& clock,
                                   std::chrono::milliseconds max_ttl)
    : secrets_(std::move(secrets)), clock_(clock), max_ttl_(max_ttl) {}

core::Result<void> IdentityVerifier::verify(const CallerIdentity& identity, std::string_view signature) const {
  const auto first_dot = signature.find('.');
  const auto second_dot = first_dot == std::string_view::npos ? first_dot : signature.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || signature.substr(0, first_dot) != kVersion) {
    return unauthenticated("the x-edfleet-identity signature is malformed");
  }
  const std::string_view expiry_text = signature.substr(first_dot + 1, second_dot - first_dot - 1);
  std::int64_t expires = 0;
  const auto parsed = std::from_chars(expiry_text.data(), expiry_text.data() + expiry_text.size(), expires);
  if (parsed.ec != std::errc() || parsed.ptr != expiry_text.data() + expiry_text.size()) {
    return unauthenticated("the x-edfleet-identity signature is malformed");
  }
  const std::int64_t now = unix_ms(clock_.now());
  if (expires < now - kClockSkew.count()) return unauthenticated("the x-edfleet-identity signature has expired");
  if (expires > now + max_ttl_.count() + kClockSkew.count()) {
    return unauthenticated("the x-edfleet-identity signature claims a lifetime longer than internal_auth.ttl");
  }
  const std::string_view mac = signature.substr(second_dot + 1);
  const std::string input = signing_input(identity, expires);
  for (const auto& secret : secrets_) {
    const std::string expected = hmac_hex(secret, input);
    if (expected.size() == mac.size() && CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) == 0) return {};
  }
  return unauthenticated("the x-edfleet-identity signature does not match the caller identity");
}

core::Result<std::optional<CallerIdentity>> authenticate_caller(const ValuesOf& values_of,
                                                                const IdentityVerifier& verifier) {
  CallerIdentity identity;
  const std::pair<std::string_view, std::string*> fields[] = {
      {kTenantKey, &identity.tenant}, {kPrincipalKey, &identity.principal}, {kRolesKey, &identity.roles}};
  for (const auto& [key, target] : fields) {
    auto values = values_of(key);
    if (values.size() > 1) return unauthenticated(std::string(key) + " is given more than once");
    if (!values.empty()) *target = std::move(values.front());
  }
  if (identity.empty()) return std::optional<CallerIdentity>();
  const auto signatures = values_of(kSignatureKey);
  if (signatures.empty()) {
    return unauthenticated(
        "x-edfleet-tenant, -principal and -roles are accepted only with a valid x-edfleet-identity signature "
        "(they are set by the gateway; call through the gateway with your credentials)");
  }
  if (signatures.size() > 1) return unauthenticated("x-edfleet-identity is given more than once");
  if (auto verified = verifier.verify(identity, signatures.front()); !verified) return verified.error();
  return std::optional<CallerIdentity>(std::move(identity));
}

}  // namespace edfleet::identity
