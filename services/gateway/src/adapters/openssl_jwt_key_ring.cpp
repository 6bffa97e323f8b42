#include "adapters/openssl_jwt_key_ring.h"

#include <stdexcept>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "edfleet/core/base64.h"

namespace edfleet::gateway {
namespace {

core::Error unauthenticated(std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, "invalid token: " + std::move(message), {}};
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

void require_rsa(const std::shared_ptr<EVP_PKEY>& key, const std::string& kid) {
  if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    throw std::invalid_argument("JWT key '" + kid + "' is not an RSA public key");
  }
  if (EVP_PKEY_get_bits(key.get()) < 2048) {
    throw std::invalid_argument("JWT key '" + kid + "' is an RSA key of " + std::to_string(EVP_PKEY_get_bits(key.get())) +
                                " bits; at least 2048 are required");
  }
}

std::shared_ptr<EVP_PKEY> rsa_from_jwk(const std::string& n_b64, const std::string& e_b64, const std::string& kid) {
  auto n = core::base64url_decode(n_b64);
  auto e = core::base64url_decode(e_b64);
  if (!n || !e || n->empty() || e->empty()) throw std::invalid_argument("JWKS key '" + kid + "': n and e must be base64url");
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr), BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr), BN_free);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> builder(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  if (!bn_n || !bn_e || !builder || !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    throw std::invalid_argument("JWKS key '" + kid + "': cannot build the RSA key");
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(builder.get()), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr),
                                                                  EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    throw std::invalid_argument("JWKS key '" + kid + "': not a valid RSA public key");
  }
  return own(raw);
}

}  // namespace

void OpensslJwtKeyRing::add(Key key) {
  for (const auto& existing : keys_) {
    if (existing.kid == key.kid) throw std::invalid_argument("JWT key id '" + key.kid + "' is configured twice");
  }
  keys_.push_back(std::move(key));
}

void OpensslJwtKeyRing::add_hs256(std::string kid, std::string secret) {
  if (secret.size() < 32) {
    throw std::invalid_argument("HS256 secret '" + kid + "' has " + std::to_string(secret.size()) +
                                " bytes; at least 32 are required");
  }
  add(Key{std::move(kid), "HS256", std::move(secret), nullptr});
}

void OpensslJwtKeyRing::add_rs256_pem(std::string kid, std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::shared_ptr<EVP_PKEY> key;
  if (bio) key = own(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key || !key.get()) {
    // A certificate works too: its public key is what signs.
    std::unique_ptr<BIO, decltype(&BIO_free)> again(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(again ? PEM_read_bio_X509(again.get(), nullptr, nullptr, nullptr)
                                                           : nullptr,
                                                     X509_free);
    if (cert) key = own(X509_get_pubkey(cert.get()));
  }
  if (!key || !key.get()) throw std::invalid_argument("JWT key '" + kid + "' is not a PEM public key or certificate");
  require_rsa(key, kid);
  add(Key{std::move(kid), "RS256", {}, std::move(key)});
}

void OpensslJwtKeyRing::add_jwks(std::string_view jwks_json) {
  auto doc = nlohmann::json::parse(jwks_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    throw std::invalid_argument("the JWKS must be a JSON object {\"keys\": [...]}");
  }
  for (const auto& jwk : doc["keys"]) {
    if (!jwk.is_object() || jwk.value("kty", "") != "RSA") continue;
    const std::string kid = jwk.value("kid", "");
    if (jwk.contains("use") && jwk.value("use", "") != "sig") {
      throw std::invalid_argument("JWKS key '" + kid + "' has use \"" + jwk.value("use", "") + "\", not \"sig\"");
    }
    if (jwk.contains("alg") && jwk.value("alg", "") != "RS256") {
      throw std::invalid_argument("JWKS key '" + kid + "' has alg \"" + jwk.value("alg", "") +
                                  "\"; only RS256 RSA keys are supported");
    }
    if (!jwk.contains("n") || !jwk.contains("e") || !jwk["n"].is_string() || !jwk["e"].is_string()) {
      throw std::invalid_argument("JWKS key '" + kid + "' has no n/e");
    }
    auto key = rsa_from_jwk(jwk["n"].get<std::string>(), jwk["e"].get<std::string>(), kid);
    require_rsa(key, kid);
    add(Key{kid, "RS256", {}, std::move(key)});
  }
}

core::Result<void> OpensslJwtKeyRing::verify(const JwtHeader& header, std::string_view signing_input,
                                             std::string_view signature) const {
  const Key* key = nullptr;
  if (!header.kid.empty()) {
    for (const auto& k : keys_) {
      if (k.kid == header.kid) key = &k;
    }
    if (key == nullptr) return unauthenticated("unknown key id");
  } else if (keys_.size() == 1) {
    key = &keys_.front();
  } else {
    return unauthenticated("the token names no key (kid) and several keys are configured");
  }
  // The key's algorithm is the only one allowed: this is what defeats algorithm confusion.
  if (header.alg != key->alg) return unauthenticated("algorithm " + header.alg + " is not allowed for this key");

  if (key->alg == "HS256") {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_length = 0;
    if (HMAC(EVP_sha256(), key->secret.data(), static_cast<int>(key->secret.size()),
             reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
             &mac_length) == nullptr) {
      return unauthenticated("cannot compute the signature");
    }
    if (signature.size() != mac_length || CRYPTO_memcmp(mac, signature.data(), mac_length) != 0) {
      return unauthenticated("bad signature");
    }
    return {};
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->public_key.get()) != 1) {
    return unauthenticated("cannot verify the signature");
  }
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  if (ok != 1) return unauthenticated("bad signature");
  return {};
}

}  // namespace edfleet::gateway
