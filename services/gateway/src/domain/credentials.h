// Who a request says it is: the Authorization header, parsed (not yet verified).
//
// API keys look like "efk_<16 hex>.<secret>", where "efk_<16 hex>" is the key's id (public, shown
// in listings) and the secret is 32 random bytes in unpadded base64url. They are accepted as
//   Authorization: Bearer efk_<id>.<secret>
//   Authorization: Basic base64("efk_<id>:<secret>")      (the xAPI / LRS convention)
//   Authorization: Basic base64("efk_<id>.<secret>:")     (the whole key as the user name)
//   Authorization: Basic base64(":efk_<id>.<secret>")     (the whole key as the password; the
//                                                          user may also be the key's id)
// Any other bearer token is taken for a JWT.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "edfleet/core/result.h"
#include "edfleet/core/tenant.h"

namespace edfleet::gateway {

inline constexpr std::string_view kApiKeyPrefix = "efk_";

struct NoCredentials {};
struct ApiKeyCredential {
  std::string id;      // "efk_<hex>"
  std::string secret;  // the part after the dot
};
struct BearerToken {
  std::string token;   // a JWT, verified later
};
using Credentials = std::variant<NoCredentials, ApiKeyCredential, BearerToken>;

// An empty header is NoCredentials; an unsupported scheme or malformed value is kUnauthenticated.
core::Result<Credentials> parse_authorization(std::string_view header);

// "efk_<id>.<secret>" -> credential; nullopt unless the id is "efk_" + [0-9a-z]{1,64} and the
// secret is 16..128 base64url characters.
std::optional<ApiKeyCredential> parse_api_key(std::string_view key);
bool is_api_key_id(std::string_view id);
std::string format_api_key(std::string_view id, std::string_view secret);

// Compares in time that depends only on the lengths, so a digest comparison leaks nothing about
// where two values differ.
bool constant_time_equals(std::string_view a, std::string_view b);

using core::is_tenant_slug;  // edfleet/core/tenant.h

// The authenticated caller of a request.
struct Principal {
  std::string tenant;
  std::string subject;              // "key:<id>" or "jwt:<sub>"; sent upstream as x-edfleet-principal
  std::vector<std::string> roles;
  std::string limit_key;            // the rate-limit identity (key id, or "jwt:<iss>:<sub>")
  std::string roles_text() const;   // comma-separated, as x-edfleet-roles carries them
};

}  // namespace edfleet::gateway
