// The OpenSSL key ring: HS256 and RS256 (PEM and JWKS) signatures, each key pinned to its
// algorithm, so alg none and algorithm confusion fail; unusable keys are refused at start-up.
#include <catch2/catch.hpp>

#include "adapters/openssl_jwt_key_ring.h"
#include "domain/jwt.h"
#include "test_keys.h"

using namespace edfleet;
using namespace edfleet::gateway;
namespace t = edfleet::gateway::testing;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-hs256";

nlohmann::json claims() {
  return {{"iss", "issuer"}, {"aud", "edfleet"}, {"sub", "u1"}, {"tenant", "acme"}, {"exp", 4'000'000'000}};
}

JwtPolicy policy() {
  JwtPolicy p;
  p.issuer = "issuer";
  p.audience = "edfleet";
  return p;
}

core::Result<Principal> check(const OpensslJwtKeyRing& ring, const std::string& token) {
  return verify_jwt(token, ring, policy(), core::Timestamp(std::chrono::seconds(1'700'000'000)));
}

// One RSA key for the whole binary: generating 2048-bit keys takes a while.
const t::Pkey& rsa() {
  static const t::Pkey key = t::generate_rsa();
  return key;
}

}  // namespace

TEST_CASE("HS256: the right secret verifies, another does not") {
  OpensslJwtKeyRing ring;
  ring.add_hs256("h1", kSecret);
  auto good = t::make_jwt({{"alg", "HS256"}, {"kid", "h1"}}, claims(), [](auto& in) { return t::sign_hs256(kSecret, in); });
  CHECK(check(ring, good).ok());
  auto wrong = t::make_jwt({{"alg", "HS256"}, {"kid", "h1"}}, claims(),
                           [](auto& in) { return t::sign_hs256(kSecret + "x", in); });
  CHECK_THAT(check(ring, wrong).error().message, Catch::Contains("bad signature"));
  // A tampered payload with the old signature.
  auto dot = good.rfind('.');
  auto other_tenant = claims();
  other_tenant["tenant"] = "globex";
  auto tampered = t::make_jwt({{"alg", "HS256"}, {"kid", "h1"}}, other_tenant, [](auto&) { return std::string("x"); });
  tampered = tampered.substr(0, tampered.rfind('.')) + good.substr(dot);
  CHECK_FALSE(check(ring, tampered).ok());
}

TEST_CASE("RS256 from a PEM public key and from a JWKS") {
  auto token = t::make_jwt({{"alg", "RS256"}, {"kid", "r1"}}, claims(), [](auto& in) { return t::sign_rs256(rsa(), in); });
  OpensslJwtKeyRing pem;
  pem.add_rs256_pem("r1", t::public_pem(rsa()));
  CHECK(check(pem, token).ok());

  OpensslJwtKeyRing jwks;
  jwks.add_jwks(nlohmann::json{{"keys", {t::jwk(rsa(), "r1"), {{"kty", "EC"}, {"kid", "skipped"}}}}}.dump());
  CHECK(jwks.size() == 1);
  CHECK(check(jwks, token).ok());

  auto other = t::generate_rsa();
  auto forged = t::make_jwt({{"alg", "RS256"}, {"kid", "r1"}}, claims(), [&](auto& in) { return t::sign_rs256(other, in); });
  CHECK_THAT(check(jwks, forged).error().message, Catch::Contains("bad signature"));
}

TEST_CASE("algorithm confusion: an HS256 token keyed with the RSA public key is refused") {
  OpensslJwtKeyRing ring;
  const std::string pem = t::public_pem(rsa());
  ring.add_rs256_pem("r1", pem);
  // The classic forgery: the attacker knows the public key and signs with it as an HMAC secret.
  auto forged = t::make_jwt({{"alg", "HS256"}, {"kid", "r1"}}, claims(), [&](auto& in) { return t::sign_hs256(pem, in); });
  auto r = check(ring, forged);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == core::ErrorCode::kUnauthenticated);
  CHECK_THAT(r.error().message, Catch::Contains("algorithm HS256 is not allowed"));
  // And the other way round: an RS256 header for an HS256 key.
  OpensslJwtKeyRing hs;
  hs.add_hs256("h1", kSecret);
  auto swapped = t::make_jwt({{"alg", "RS256"}, {"kid", "h1"}}, claims(), [](auto& in) { return t::sign_hs256(kSecret, in); });
  CHECK_THAT(check(hs, swapped).error().message, Catch::Contains("algorithm RS256 is not allowed"));
  // Other algorithms of the same family are not accepted either.
  auto hs512 = t::make_jwt({{"alg", "HS512"}, {"kid", "h1"}}, claims(), [](auto& in) { return t::sign_hs256(kSecret, in); });
  CHECK_FALSE(check(hs, hs512).ok());
}

TEST_CASE("alg none never verifies") {
  OpensslJwtKeyRing ring;
  ring.add_hs256("h1", kSecret);
  auto unsigned_token = core::base64url_encode(nlohmann::json{{"alg", "none"}, {"kid", "h1"}}.dump()) + "." +
                        core::base64url_encode(claims().dump()) + ".";
  CHECK_FALSE(check(ring, unsigned_token).ok());
  CHECK_FALSE(ring.verify(JwtHeader{"none", "h1"}, "x.y", "sig").ok());
}

TEST_CASE("key selection by kid") {
  OpensslJwtKeyRing ring;
  ring.add_hs256("h1", kSecret);
  ring.add_rs256_pem("r1", t::public_pem(rsa()));
  auto no_kid = t::make_jwt({{"alg", "HS256"}}, claims(), [](auto& in) { return t::sign_hs256(kSecret, in); });
  CHECK_THAT(check(ring, no_kid).error().message, Catch::Contains("names no key"));
  auto unknown = t::make_jwt({{"alg", "HS256"}, {"kid", "zz"}}, claims(), [](auto& in) { return t::sign_hs256(kSecret, in); });
  CHECK_THAT(check(ring, unknown).error().message, Catch::Contains("unknown key id"));

  OpensslJwtKeyRing single;
  single.add_hs256("h1", kSecret);
  CHECK(check(single, no_kid).ok());  // one key: the token need not name it
}

TEST_CASE("unusable keys are refused with a message naming them") {
  OpensslJwtKeyRing ring;
  CHECK_THROWS_WITH(ring.add_hs256("short", "too short"), Catch::Contains("short") && Catch::Contains("32"));
  CHECK_THROWS_WITH(ring.add_rs256_pem("junk", "not a pem"), Catch::Contains("junk"));
  auto small = t::generate_rsa(1024);
  CHECK_THROWS_WITH(ring.add_rs256_pem("small", t::public_pem(small)), Catch::Contains("2048"));
  CHECK_THROWS_WITH(ring.add_jwks("[]"), Catch::Contains("keys"));
  auto rs512 = t::jwk(rsa(), "x");
  rs512["alg"] = "RS512";
  CHECK_THROWS_WITH(ring.add_jwks(nlohmann::json{{"keys", {rs512}}}.dump()), Catch::Contains("RS512"));
  auto enc = t::jwk(rsa(), "y");
  enc["use"] = "enc";
  CHECK_THROWS_WITH(ring.add_jwks(nlohmann::json{{"keys", {enc}}}.dump()), Catch::Contains("sig"));
  auto no_n = t::jwk(rsa(), "z");
  no_n.erase("n");
  CHECK_THROWS(ring.add_jwks(nlohmann::json{{"keys", {no_n}}}.dump()));
  ring.add_hs256("dup", kSecret);
  CHECK_THROWS_WITH(ring.add_hs256("dup", kSecret), Catch::Contains("twice"));
}
