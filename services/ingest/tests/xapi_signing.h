// Test support for signed xAPI statements: an RSA key with a self-signed X.509 certificate generated
// with OpenSSL at run time (nothing checked in), and compact JWS signing with RS256/RS384/RS512.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace edfleet::ingest::xapi_test {

using nlohmann::json;

inline std::string base64(std::string_view data, bool url) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  if (url) {
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return out;
}

// An RSA key with a self-signed certificate, generated per test binary run (nothing checked in).
struct Signer {
  std::shared_ptr<EVP_PKEY> key;
  std::string cert_der;

  static Signer make(const char* common_name) {
    Signer s;
    s.key.reset(EVP_RSA_gen(2048), EVP_PKEY_free);
    REQUIRE(s.key);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), s.key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    REQUIRE(X509_sign(cert.get(), s.key.get(), EVP_sha256()) > 0);
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert.get(), &der);
    REQUIRE(length > 0);
    s.cert_der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return s;
  }

  // A compact JWS of `payload`; the header names `alg` and (unless empty) carries `x5c_der` as x5c.
  std::string sign(const std::string& payload, const std::string& alg = "RS256",
                   std::optional<std::string> x5c_der = std::nullopt) const {
    json header = {{"alg", alg}};
    const std::string cert = x5c_der.value_or(cert_der);
    if (!cert.empty()) header["x5c"] = {base64(cert, false)};
    const std::string input = base64(header.dump(), true) + "." + base64(payload, true);
    const EVP_MD* md = alg == "RS384" ? EVP_sha384() : alg == "RS512" ? EVP_sha512() : EVP_sha256();
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t length = 0;
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) == 1);
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1);
    std::string signature(length, '\0');
    REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
    signature.resize(length);
    return input + "." + base64(signature, true);
  }
};

}  // namespace edfleet::ingest::xapi_test
