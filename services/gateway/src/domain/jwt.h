// JSON Web Tokens (RFC 7519, compact JWS): structure and claims. Signatures are checked by a
// JwtKeyRing (ports/jwt_key_ring.h), which pins each key to one algorithm.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/credentials.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"
#include "ports/jwt_key_ring.h"

namespace edfleet::gateway {

struct DecodedJwt {
  JwtHeader header;
  nlohmann::json claims;
  std::string signing_input;  // "<header b64>.<payload b64>", what the signature covers
  std::string signature;      // raw bytes
};

// Splits and decodes a compact JWS. kUnauthenticated for: not three base64url segments, a header or
// payload that is not a JSON object, a missing/non-string alg, alg "none" (any case) or an empty
// signature, and a "crit" header (no extensions are understood, so RFC 7515 says reject).
core::Result<DecodedJwt> decode_jwt(std::string_view token);

struct JwtPolicy {
  std::string issuer;                     // required "iss"
  std::string audience;                   // required in "aud" (a string or an array)
  std::chrono::seconds leeway{60};        // clock skew allowed on exp / nbf / iat
  std::string tenant_claim = "tenant";    // a tenant slug
  std::string roles_claim = "roles";      // an array of strings, or one space/comma-separated string
};

// The longest "sub" accepted: it becomes the principal "jwt:<sub>" in upstream metadata and logs.
inline constexpr std::size_t kMaxJwtSubjectLength = 256;

// True when `subject` is 1 to kMaxJwtSubjectLength characters of printable ASCII (0x21-0x7E): no
// spaces, control characters (CR/LF that could split a header or a log line) or non-ASCII bytes.
bool is_safe_jwt_subject(std::string_view subject);

// Checks the registered claims against `policy` at `now` and maps the token to a caller: "sub"
// required and safe (is_safe_jwt_subject); "exp" required and not passed; "nbf"/"iat" not in the
// future; iss and aud as configured; the tenant claim a slug. Roles edfleet does not know are dropped (they grant nothing).
core::Result<Principal> principal_from_claims(const nlohmann::json& claims, const JwtPolicy& policy,
                                              core::Timestamp now);

// Decodes, verifies the signature with `keys`, then checks the claims.
core::Result<Principal> verify_jwt(std::string_view token, const JwtKeyRing& keys, const JwtPolicy& policy,
                                   core::Timestamp now);

}  // namespace edfleet::gateway
