// Parsing the Authorization header: API keys as Bearer or Basic, JWT bearer tokens, and what is
// refused.
#include <catch2/catch.hpp>

#include "edfleet/core/base64.h"
#include "domain/credentials.h"

using namespace edfleet::gateway;
namespace core = edfleet::core;

namespace {
const std::string kSecret = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
const std::string kKey = "efk_0123456789abcdef." + kSecret;
}  // namespace

TEST_CASE("no Authorization header means no credentials") {
  auto r = parse_authorization("");
  REQUIRE(r.ok());
  CHECK(std::holds_alternative<NoCredentials>(*r));
}

TEST_CASE("an API key as a bearer token") {
  auto r = parse_authorization("Bearer " + kKey);
  REQUIRE(r.ok());
  const auto& key = std::get<ApiKeyCredential>(*r);
  CHECK(key.id == "efk_0123456789abcdef");
  CHECK(key.secret == kSecret);
  CHECK(parse_authorization("bearer " + kKey).ok());  // the scheme is case-insensitive
}

TEST_CASE("an API key as Basic credentials (id:secret), the xAPI convention") {
  auto r = parse_authorization("Basic " + core::base64_encode("efk_0123456789abcdef:" + kSecret));
  REQUIRE(r.ok());
  const auto& key = std::get<ApiKeyCredential>(*r);
  CHECK(key.id == "efk_0123456789abcdef");
  CHECK(key.secret == kSecret);
}

TEST_CASE("the whole API key as the Basic user name or password") {
  for (const std::string& pair : {kKey + ":", ":" + kKey, "efk_0123456789abcdef:" + kKey}) {
    INFO(pair);
    auto r = parse_authorization("Basic " + core::base64_encode(pair));
    REQUIRE(r.ok());
    const auto& key = std::get<ApiKeyCredential>(*r);
    CHECK(key.id == "efk_0123456789abcdef");
    CHECK(key.secret == kSecret);
  }
  // A user that names another key than the password's is refused.
  auto other = parse_authorization("Basic " + core::base64_encode("efk_ffff:" + kKey));
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == edfleet::core::ErrorCode::kUnauthenticated);
}

TEST_CASE("other bearer tokens are JWTs, verified later") {
  auto r = parse_authorization("Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln");
  REQUIRE(r.ok());
  CHECK(std::get<BearerToken>(*r).token == "eyJhbGciOiJIUzI1NiJ9.e30.c2ln");
}

TEST_CASE("malformed credentials are UNAUTHENTICATED") {
  for (const std::string& header : std::vector<std::string>{"Digest abc", "Bearer", "Bearer ", "Bearer efk_0123.short", "Bearer efk_ABC." + kSecret,
                             "Basic !!!", "Basic " + core::base64_encode("no-colon"),
                             "Basic " + core::base64_encode("user:" + kSecret), "Basic " + core::base64_encode("efk_01:tiny"),
                             "Basic " + core::base64_encode(":"), "Basic " + core::base64_encode("user:efk_01.tiny")}) {
    INFO(header);
    auto r = parse_authorization(header);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == edfleet::core::ErrorCode::kUnauthenticated);
  }
}

TEST_CASE("API key format") {
  CHECK(format_api_key("efk_01", kSecret) == "efk_01." + kSecret);
  CHECK(parse_api_key(kKey).has_value());
  CHECK_FALSE(parse_api_key("efk_01").has_value());
  CHECK_FALSE(parse_api_key("key_01." + kSecret).has_value());
  CHECK_FALSE(parse_api_key("efk_01." + kSecret + "+").has_value());
  CHECK(is_api_key_id("efk_0a"));
  CHECK_FALSE(is_api_key_id("efk_"));
  CHECK_FALSE(is_api_key_id("efk_0A"));
}

TEST_CASE("constant-time comparison and tenant slugs") {
  CHECK(constant_time_equals("abc", "abc"));
  CHECK_FALSE(constant_time_equals("abc", "abd"));
  CHECK_FALSE(constant_time_equals("abc", "abcd"));
  CHECK(constant_time_equals("", ""));
  CHECK(is_tenant_slug("acme"));
  CHECK(is_tenant_slug("a-b_c9"));
  CHECK_FALSE(is_tenant_slug("Acme"));
  CHECK_FALSE(is_tenant_slug("-acme"));
  CHECK_FALSE(is_tenant_slug(""));
  CHECK_FALSE(is_tenant_slug(std::string(64, 'a')));
}

TEST_CASE("a principal's roles travel comma-separated") {
  Principal p;
  p.roles = {"admin", "service"};
  CHECK(p.roles_text() == "admin,service");
}
