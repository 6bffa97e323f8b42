// RSA keys and JWT signing for tests (the key ring's tests and the gateway test bed), with OpenSSL.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "edfleet/core/base64.h"

namespace edfleet::gateway::testing {

using Pkey = std::shared_ptr<EVP_PKEY>;

inline Pkey generate_rsa(unsigned bits = 2048) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  if (key == nullptr) throw std::runtime_error("EVP_RSA_gen failed");
  return Pkey(key, EVP_PKEY_free);
}

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

inline std::string public_pem(const Pkey& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key.get());
  return bio_text(bio.get());
}

inline std::string private_pem(const Pkey& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio.get());
}

// The key as a JWK {"kty":"RSA","kid":..,"n":..,"e":..}.
inline nlohmann::json jwk(const Pkey& key, const std::string& kid) {
  auto component = [&](const char* name) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key.get(), name, &bn);
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(bn);
    return core::base64url_encode(bytes);
  };
  return {{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"alg", "RS256"},
          {"n", component(OSSL_PKEY_PARAM_RSA_N)}, {"e", component(OSSL_PKEY_PARAM_RSA_E)}};
}

inline std::string sign_rs256(const Pkey& key, const std::string& input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t length = 0;
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get());
  EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string signature(length, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  signature.resize(length);
  return signature;
}

inline std::string sign_hs256(const std::string& secret, const std::string& input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return std::string(reinterpret_cast<char*>(mac), length);
}

// A compact JWS: header and claims as given, signed by `sign(signing input)`.
template <typename Sign>
std::string make_jwt(const nlohmann::json& header, const nlohmann::json& claims, Sign sign) {
  const std::string input = core::base64url_encode(header.dump()) + "." + core::base64url_encode(claims.dump());
  return input + "." + core::base64url_encode(sign(input));
}

}  // namespace edfleet::gateway::testing
