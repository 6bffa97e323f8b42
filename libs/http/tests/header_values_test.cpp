#include <catch2/catch.hpp>

#include "edfleet/http/header_values.h"

using edfleet::http::is_header_name;
using edfleet::http::is_safe_header_value;

TEST_CASE("header values: visible ASCII, space and tab pass; controls and non-ASCII bytes do not") {
  CHECK(is_safe_header_value("application/json"));
  CHECK(is_safe_header_value("Basic ZWZrXzE6c2VjcmV0"));
  CHECK(is_safe_header_value("a\tb"));
  CHECK(is_safe_header_value(""));
  // What cpp-httplib makes of "application/json%0D%0AX-Edfleet-Tenant:%20beta".
  CHECK_FALSE(is_safe_header_value("application/json\r\nX-Edfleet-Tenant: beta"));
  CHECK_FALSE(is_safe_header_value("a\nb"));
  CHECK_FALSE(is_safe_header_value("a\rb"));
  CHECK_FALSE(is_safe_header_value(std::string("a\0b", 3)));
  CHECK_FALSE(is_safe_header_value("a\x7f"));
  CHECK_FALSE(is_safe_header_value("caf\xc3\xa9"));
}

TEST_CASE("header names are RFC 9110 tokens") {
  CHECK(is_header_name("X-Experience-API-Version"));
  CHECK(is_header_name("x_custom.name~1"));
  CHECK_FALSE(is_header_name(""));
  CHECK_FALSE(is_header_name("Bad Name"));
  CHECK_FALSE(is_header_name("bad:name"));
  CHECK_FALSE(is_header_name("bad\r\nname"));
  CHECK_FALSE(is_header_name("\"quoted\""));
}
