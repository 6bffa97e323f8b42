// JwsVerifier over OpenSSL: SHA-2 digests of attachment data, and RS256/RS384/RS512 compact JWS
// verification against the RSA key of the header's x5c certificate (xAPI Data 2.6).
#pragma once

#include "ports/jws_verifier.h"

namespace edfleet::ingest {

class OpenSslJwsVerifier final : public JwsVerifier {
 public:
  std::optional<std::string> sha2_hex(std::string_view data, std::size_t hex_digits) override;
  core::Result<VerifiedJws> verify(std::string_view compact) override;
};

}  // namespace edfleet::ingest
