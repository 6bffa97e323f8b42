// Port: the cryptography xAPI attachments need — SHA-2 digests of attachment data (parts are matched to
// attachments by them) and the verification of a signed statement's JWS (RFC 7515, compact
// serialisation). OpenSSL in production (adapters/openssl_jws_verifier); fakes in domain tests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "edfleet/core/result.h"

namespace edfleet::ingest {

// What a well-formed JWS says.
struct VerifiedJws {
  std::string algorithm;           // RS256, RS384 or RS512
  std::string payload;             // the decoded payload: the signed statement's JSON text
  bool certificate_checked = false;  // the header had x5c and the signature verified against its first certificate
};

class JwsVerifier {
 public:
  virtual ~JwsVerifier() = default;

  // Lower-case hex SHA-2 digest of `data` with `hex_digits` digits (56, 64, 96, 128: SHA-224/256/384/512);
  // nullopt for any other length (not a SHA-2 digest).
  virtual std::optional<std::string> sha2_hex(std::string_view data, std::size_t hex_digits) = 0;

  // Decodes a compact JWS (header.payload.signature, base64url), requires alg RS256, RS384 or RS512 and,
  // when the header carries x5c, a signature that verifies with the first certificate's RSA key.
  // kInvalidArgument with a message saying what is wrong (malformed, algorithm, certificate, signature).
  virtual core::Result<VerifiedJws> verify(std::string_view compact) = 0;
};

}  // namespace edfleet::ingest
