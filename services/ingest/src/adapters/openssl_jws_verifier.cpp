#include "adapters/openssl_jws_verifier.h"

#include "edfleet/core/base64.h"
#include "edfleet/core/hash.h"

#include <memory>

#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace edfleet::ingest {
namespace {

core::Error malformed(std::string message) { return core::Error::invalid(std::move(message)); }

const EVP_MD* digest_for_hex_length(std::size_t hex_digits) {
  switch (hex_digits) {
    case 56: return EVP_sha224();
    case 64: return EVP_sha256();
    case 96: return EVP_sha384();
    case 128: return EVP_sha512();
    default: return nullptr;
  }
}

const EVP_MD* digest_for_alg(std::string_view alg) {
  if (alg == "RS256") return EVP_sha256();
  if (alg == "RS384") return EVP_sha384();
  if (alg == "RS512") return EVP_sha512();
  return nullptr;
}



}  // namespace

std::optional<std::string> OpenSslJwsVerifier::sha2_hex(std::string_view data, std::size_t hex_digits) {
  const EVP_MD* md = digest_for_hex_length(hex_digits);
  if (md == nullptr) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr) != 1) return std::nullopt;
  return core::to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

core::Result<VerifiedJws> OpenSslJwsVerifier::verify(std::string_view compact) {
  const auto first = compact.find('.');
  const auto second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    return malformed("the JWS is not in compact serialisation (header.payload.signature)");
  }
  const auto header_text = core::base64url_decode(compact.substr(0, first));
  const auto payload = core::base64url_decode(compact.substr(first + 1, second - first - 1));
  const auto signature = core::base64url_decode(compact.substr(second + 1));
  if (!header_text || !payload || !signature) return malformed("the JWS has a part that is not base64url");
  const auto header = nlohmann::json::parse(*header_text, nullptr, false);
  if (!header.is_object()) return malformed("the JWS header is not a JSON object");
  const auto& alg = header.contains("alg") && header["alg"].is_string() ? header["alg"].get_ref<const std::string&>()
                                                                          : std::string();
  const EVP_MD* md = digest_for_alg(alg);
  if (md == nullptr) {
    return malformed("the JWS algorithm must be RS256, RS384 or RS512; got \"" + alg + "\"");
  }
  if (signature->empty()) return malformed("the JWS has no signature");
  VerifiedJws out{alg, *payload, false};
  if (!header.contains("x5c")) return out;  // nothing to verify against (see README)

  const auto& chain = header["x5c"];
  if (!chain.is_array() || chain.empty() || !chain[0].is_string()) {
    return malformed("the JWS header's x5c must be a non-empty array of base64 certificates");
  }
  const auto der = core::base64_decode(chain[0].get_ref<const std::string&>());
  if (!der) return malformed("the first x5c certificate is not base64");
  const auto* bytes = reinterpret_cast<const unsigned char*>(der->data());
  std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &bytes, static_cast<long>(der->size())), X509_free);
  if (!cert) {
    ERR_clear_error();
    return malformed("the first x5c certificate is not a DER X.509 certificate");
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(X509_get_pubkey(cert.get()), EVP_PKEY_free);
  if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return malformed("the x5c certificate's key is not an RSA key (" + alg + " needs one)");
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const std::string_view signing_input = compact.substr(0, second);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    ERR_clear_error();  // a bad signature is an answer, not a fault: leave no error behind
    return malformed("the JWS signature does not verify with the key of its x5c certificate");
  }
  out.certificate_checked = true;
  return out;
}

}  // namespace edfleet::ingest
