#include <catch2/catch.hpp>

#include "edfleet/core/basic_credentials.h"
#include "edfleet/http/status.h"

using namespace edfleet;

TEST_CASE("Basic credentials: the scheme in any case, user up to the first colon (RFC 7617)") {
  for (const char* scheme : {"Basic ", "basic ", "BASIC ", "bAsIc "}) {
    auto parsed = core::parse_basic_authorization(std::string(scheme) + "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    REQUIRE(parsed.has_value());
    CHECK(parsed->user == "Aladdin");
    CHECK(parsed->password == "open sesame");
  }
  auto colon_in_password = core::parse_basic_authorization("Basic dXNlcjpwYTpzcw==");  // user:pa:ss
  REQUIRE(colon_in_password);
  CHECK(colon_in_password->password == "pa:ss");
  CHECK_FALSE(core::parse_basic_authorization("Bearer abc"));
  CHECK_FALSE(core::parse_basic_authorization("Basic !!!"));
  CHECK_FALSE(core::parse_basic_authorization("Basic dXNlcg=="));  // "user": no colon
  CHECK_FALSE(core::parse_basic_authorization("Basi"));
}

TEST_CASE("one HTTP status per error code: rate limits 429, size limits 413") {
  CHECK(http::http_status(core::ErrorCode::kResourceExhausted) == 429);
  CHECK(http::http_status(core::ErrorCode::kTooLarge) == 413);
  CHECK(http::http_status(core::ErrorCode::kUnauthenticated) == 401);
  CHECK(http::http_status(core::ErrorCode::kConflict) == 409);
  CHECK(http::http_status(core::ErrorCode::kAlreadyExists) == 409);
  CHECK(http::http_status(core::ErrorCode::kFailedPrecondition) == 412);
  CHECK(http::http_status(core::ErrorCode::kUnavailable) == 503);
  CHECK(http::http_status(core::ErrorCode::kInternal) == 500);
}
