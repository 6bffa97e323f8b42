// JwtKeyRing over OpenSSL: HS256 shared secrets and RS256 public keys (PEM, or a JWKS document),
// each key pinned to its algorithm.
//
// Why not libjwt: Debian 12's libjwt (1.10) verifies with whatever algorithm the token's header
// names, using the key bytes it is given; handed an RSA public key PEM and a token saying HS256, it
// computes an HMAC keyed with the PEM text, which is exactly the algorithm-confusion forgery. Pinning
// needs libjwt >= 1.12. With OpenSSL's EVP API the key decides the algorithm, so the header's alg
// can only be compared, never obeyed.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ports/jwt_key_ring.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace edfleet::gateway {

class OpensslJwtKeyRing final : public JwtKeyRing {
 public:
  // Adds keys; each throws std::invalid_argument with a message naming the key when it is unusable:
  // an HS256 secret shorter than 32 bytes (RFC 7518 3.2), a PEM that is not an RSA public key (or
  // certificate) of at least 2048 bits, a JWKS that is not {"keys":[...]} or has an RSA key without
  // n/e, a key with "use" other than "sig" or "alg" other than RS256, or a duplicate kid.
  // JWKS entries of other key types (EC, oct) are skipped.
  void add_hs256(std::string kid, std::string secret);
  void add_rs256_pem(std::string kid, std::string_view pem);
  void add_jwks(std::string_view jwks_json);

  core::Result<void> verify(const JwtHeader& header, std::string_view signing_input,
                            std::string_view signature) const override;
  bool empty() const override { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }

 private:
  struct Key {
    std::string kid;
    std::string alg;      // "HS256" or "RS256": the only algorithm this key verifies
    std::string secret;   // HS256
    std::shared_ptr<EVP_PKEY> public_key;  // RS256
  };
  void add(Key key);
  std::vector<Key> keys_;
};

}  // namespace edfleet::gateway
