// The keys that may sign JWTs, each pinned to ONE algorithm. Verification picks the key by the
// token's `kid` (or the only key when there is one and the token names none) and refuses a token
// whose `alg` is not that key's algorithm: an RS256 public key is never used as an HS256 secret
// (algorithm confusion), and "none" matches no key.
#pragma once

#include <string>
#include <string_view>

#include "edfleet/core/result.h"

namespace edfleet::gateway {

struct JwtHeader {
  std::string alg;
  std::string kid;
};

class JwtKeyRing {
 public:
  virtual ~JwtKeyRing() = default;
  // OK when `signature` is a valid signature of `signing_input` ("<header>.<payload>") by the key
  // the header selects, with that key's algorithm; kUnauthenticated otherwise.
  virtual core::Result<void> verify(const JwtHeader& header, std::string_view signing_input,
                                    std::string_view signature) const = 0;
  virtual bool empty() const = 0;
};

}  // namespace edfleet::gateway
