// JWT structure and claims (the signature is checked by a key ring; here a fake one, the OpenSSL
// one has its own tests).
#include <catch2/catch.hpp>

#include "edfleet/core/base64.h"
#include "domain/jwt.h"

using namespace edfleet;
using namespace edfleet::gateway;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

core::Timestamp now() { return core::Timestamp(std::chrono::seconds(kNow)); }

// Accepts exactly the signature "valid" from the HS256 key "k1".
class FakeKeyRing final : public JwtKeyRing {
 public:
  core::Result<void> verify(const JwtHeader& header, std::string_view, std::string_view signature) const override {
    if (header.alg == "HS256" && (header.kid.empty() || header.kid == "k1") && signature == "valid") return {};
    return core::Error{core::ErrorCode::kUnauthenticated, "invalid token: bad signature", {}};
  }
  bool empty() const override { return false; }
};

std::string token(const nlohmann::json& header, const nlohmann::json& claims, const std::string& signature = "valid") {
  return core::base64url_encode(header.dump()) + "." + core::base64url_encode(claims.dump()) + "." + core::base64url_encode(signature);
}

nlohmann::json good_claims() {
  return {{"iss", "https://id.example.com"}, {"aud", "edfleet"},     {"sub", "user-7"},
          {"tenant", "acme"},                {"roles", {"educator"}}, {"exp", kNow + 300},
          {"iat", kNow - 10}};
}

// The good claims with some replaced.
nlohmann::json with(const nlohmann::json& changes) {
  auto claims = good_claims();
  claims.update(changes);
  return claims;
}

JwtPolicy policy() {
  JwtPolicy p;
  p.issuer = "https://id.example.com";
  p.audience = "edfleet";
  p.leeway = 30s;
  return p;
}

}  // namespace

TEST_CASE("a valid token maps to the caller") {
  FakeKeyRing keys;
  auto principal = verify_jwt(token({{"alg", "HS256"}, {"typ", "JWT"}}, good_claims()), keys, policy(), now());
  REQUIRE(principal.ok());
  CHECK(principal->tenant == "acme");
  CHECK(principal->subject == "jwt:user-7");
  CHECK(principal->roles == std::vector<std::string>{"educator"});
  CHECK(principal->limit_key == "jwt:https://id.example.com:user-7");
}

TEST_CASE("structure: three base64url segments, a JSON header with alg, a signature") {
  for (const std::string& bad : std::vector<std::string>{"", "a.b", "a.b.c.d", "!!.e30.c2ln", core::base64url_encode("[]") + ".e30.c2ln",
                          core::base64url_encode("{\"alg\":\"HS256\"}") + ".bm90IGpzb24.c2ln",
                          core::base64url_encode("{\"typ\":\"JWT\"}") + ".e30.c2ln",
                          core::base64url_encode("{\"alg\":5}") + ".e30.c2ln",
                          core::base64url_encode("{\"alg\":\"HS256\"}") + ".e30.",
                          core::base64url_encode("{\"alg\":\"HS256\",\"crit\":[\"b64\"]}") + ".e30.c2ln"}) {
    INFO(bad);
    auto r = decode_jwt(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == core::ErrorCode::kUnauthenticated);
  }
}

TEST_CASE("alg none is refused in any spelling, even with an empty signature") {
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    INFO(alg);
    const std::string unsigned_token =
        core::base64url_encode(nlohmann::json{{"alg", alg}}.dump()) + "." + core::base64url_encode(good_claims().dump()) + ".";
    auto r = decode_jwt(unsigned_token);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("alg none"));
    auto signed_none = decode_jwt(token({{"alg", alg}}, good_claims()));
    REQUIRE_FALSE(signed_none.ok());
  }
}

TEST_CASE("a bad signature or a key the ring refuses is UNAUTHENTICATED") {
  FakeKeyRing keys;
  CHECK_FALSE(verify_jwt(token({{"alg", "HS256"}}, good_claims(), "forged"), keys, policy(), now()).ok());
  CHECK_FALSE(verify_jwt(token({{"alg", "RS256"}}, good_claims()), keys, policy(), now()).ok());
  CHECK_FALSE(verify_jwt(token({{"alg", "HS256"}, {"kid", "other"}}, good_claims()), keys, policy(), now()).ok());
}

TEST_CASE("claims: expiry, not-before, issued-at, issuer, audience, subject, tenant") {
  auto check = [](nlohmann::json claims, const std::string& expected) {
    auto r = principal_from_claims(claims, policy(), now());
    INFO(claims.dump());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == core::ErrorCode::kUnauthenticated);
    CHECK_THAT(r.error().message, Catch::Contains(expected));
  };
  auto claims = good_claims();
  claims.erase("exp");
  check(claims, "exp is required");
  check(with({{"exp", kNow - 31}}), "expired");
  check(with({{"exp", "tomorrow"}}), "exp must be a number");
  check(with({{"nbf", kNow + 31}}), "nbf");
  check(with({{"iat", kNow + 31}}), "iat");
  check(with({{"iss", "https://evil.example.com"}}), "wrong issuer");
  check(with({{"aud", "someone-else"}}), "wrong audience");
  check(with({{"aud", {"a", "b"}}}), "wrong audience");
  claims = good_claims();
  claims.erase("aud");
  check(claims, "wrong audience");
  claims = good_claims();
  claims.erase("sub");
  check(claims, "sub is required");
  check(with({{"tenant", "Not A Slug"}}), "tenant claim");
  claims = good_claims();
  claims.erase("tenant");
  check(claims, "tenant claim");

  // Within the leeway, and audience arrays.
  CHECK(principal_from_claims(with({{"exp", kNow - 29}}), policy(), now()).ok());
  CHECK(principal_from_claims(with({{"nbf", kNow + 29}}), policy(), now()).ok());
  CHECK(principal_from_claims(with({{"aud", {"x", "edfleet"}}}), policy(), now()).ok());
}

TEST_CASE("sub: printable ASCII only, at most 256 characters (it becomes the principal in headers and logs)") {
  FakeKeyRing keys;
  // Each would reach x-edfleet-principal and the log lines as "jwt:<sub>".
  const std::vector<std::string> hostile = {
      "user-7\r\nx-edfleet-tenant: globex",  // header injection
      "user-7\ninjected log line",
      "user 7",                                // space
      "user\t7",
      std::string("user\0" "7", 6),           // NUL
      "user\x7f",                             // DEL
      "j\xc3\xb6rg",                          // UTF-8, non-ASCII
      std::string(257, 'a'),
  };
  for (const auto& sub : hostile) {
    INFO(nlohmann::json(sub).dump());
    auto r = verify_jwt(token({{"alg", "HS256"}}, with({{"sub", sub}})), keys, policy(), now());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == core::ErrorCode::kUnauthenticated);
    CHECK_THAT(r.error().message, Catch::Contains("sub must be 1 to 256 printable ASCII characters"));
  }
  // The extremes of what is accepted: 0x21 and 0x7E, and exactly 256 characters.
  for (const std::string& sub : {std::string("!"), std::string("~"), std::string(256, 'z'),
                                 std::string("auth0|5f7c8ec7c33c6c004bbafe82")}) {
    auto r = verify_jwt(token({{"alg", "HS256"}}, with({{"sub", sub}})), keys, policy(), now());
    REQUIRE(r.ok());
    CHECK(r->subject == "jwt:" + sub);
  }
}

TEST_CASE("roles: an array or a space/comma-separated string; unknown roles grant nothing") {
  auto roles_of = [](nlohmann::json roles) {
    nlohmann::json claims = good_claims();
    claims["roles"] = roles;
    auto r = principal_from_claims(claims, policy(), now());
    REQUIRE(r.ok());
    return r->roles;
  };
  CHECK(roles_of({"admin", "superuser", "learner", "admin"}) == std::vector<std::string>{"admin", "learner"});
  CHECK(roles_of("operator educator,service") == std::vector<std::string>{"operator", "educator", "service"});
  CHECK(roles_of(42).empty());
  JwtPolicy custom = policy();
  custom.roles_claim = "https://edfleet/roles";
  custom.tenant_claim = "org";
  auto claims = good_claims();
  claims["https://edfleet/roles"] = {"learner"};
  claims["org"] = "globex";
  auto r = principal_from_claims(claims, custom, now());
  REQUIRE(r.ok());
  CHECK(r->tenant == "globex");
  CHECK(r->roles == std::vector<std::string>{"learner"});
}
