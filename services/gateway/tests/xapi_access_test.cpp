// The xAPI LRS behind the gateway: reading vs writing for the access policy (alternate syntax
// included), the header allow-lists, query parameters and credentials in a form body.
#include <catch2/catch.hpp>

#include "domain/xapi_access.h"

using namespace edfleet::gateway;

TEST_CASE("xAPI paths, and the one answered without credentials") {
  CHECK(is_xapi_path("/xapi/statements"));
  CHECK(is_xapi_path("/xapi/activities/state"));
  CHECK(is_xapi_path("/xapi"));
  CHECK_FALSE(is_xapi_path("/xapis/statements"));
  CHECK_FALSE(is_xapi_path("/v1/events"));
  CHECK(is_public_xapi_path("/xapi/about"));
  CHECK_FALSE(is_public_xapi_path("/xapi/statements"));
  CHECK_FALSE(is_public_xapi_path("/xapi/about/x"));
  CHECK(is_plain_path("/xapi/activities/state"));
  CHECK(is_plain_path("/xapi/a..b/.c"));
  CHECK_FALSE(is_plain_path("/xapi/../v1/events"));
  CHECK_FALSE(is_plain_path("/xapi/./statements"));
  CHECK_FALSE(is_plain_path("/xapi/statements/.."));
}

TEST_CASE("GET and HEAD read; PUT, POST and DELETE write; POST with an alternate-syntax read reads") {
  CHECK(xapi_policy_method("GET", false) == kXapiReadMethod);
  CHECK(xapi_policy_method("HEAD", false) == kXapiReadMethod);
  CHECK(xapi_policy_method("PUT", false) == kXapiWriteMethod);
  CHECK(xapi_policy_method("POST", false) == kXapiWriteMethod);
  CHECK(xapi_policy_method("DELETE", false) == kXapiWriteMethod);
  CHECK(xapi_policy_method("PATCH", false) == kXapiWriteMethod);
  CHECK(xapi_policy_method("POST", true) == kXapiReadMethod);
  // Only POST carries the alternate syntax.
  CHECK(xapi_policy_method("PUT", true) == kXapiWriteMethod);
  CHECK(xapi_policy_method("DELETE", true) == kXapiWriteMethod);
  CHECK(xapi_action(kXapiReadMethod) == "read the LRS");
  CHECK(xapi_action(kXapiWriteMethod) == "write to the LRS");
}

TEST_CASE("only the xAPI headers cross the gateway, in each direction") {
  for (const char* name : {"X-Experience-API-Version", "content-type", "If-Match", "If-None-Match", "Accept-Language"}) {
    INFO(name);
    CHECK(is_forwarded_xapi_request_header(name));
  }
  for (const char* name : {"Authorization", "X-Edfleet-Tenant", "x-edfleet-principal", "Cookie", "Host",
                           "Content-Length", "Transfer-Encoding", "traceparent", "X-Forwarded-For"}) {
    INFO(name);
    CHECK_FALSE(is_forwarded_xapi_request_header(name));
  }
  for (const char* name : {"X-Experience-API-Version", "X-Experience-API-Consistent-Through", "ETag",
                           "Last-Modified", "Allow", "WWW-Authenticate"}) {
    INFO(name);
    CHECK(is_returned_xapi_response_header(name));
  }
  for (const char* name : {"Content-Length", "Connection", "Set-Cookie", "Content-Type"}) {
    INFO(name);
    CHECK_FALSE(is_returned_xapi_response_header(name));
  }
}


TEST_CASE("the alternate syntax's Authorization field is taken out of the form body") {
  auto taken = take_form_field("X-Experience-API-Version=1.0.3&Authorization=Basic%20ZWZr%3D&statementId=1",
                               "Authorization");
  REQUIRE(taken.value);
  CHECK(*taken.value == "Basic ZWZr=");
  CHECK(taken.rest == "X-Experience-API-Version=1.0.3&statementId=1");
  auto lower = take_form_field("authorization=Basic+abc&content=%7B%7D", "Authorization");
  CHECK(lower.value == "Basic abc");
  CHECK(lower.rest == "content=%7B%7D");
  auto none = take_form_field("content=%7B%7D&&x=1", "Authorization");
  CHECK_FALSE(none.value);
  CHECK(none.rest == "content=%7B%7D&x=1");
  CHECK(is_form_content_type("application/x-www-form-urlencoded; charset=UTF-8"));
  CHECK_FALSE(is_form_content_type("application/json"));
}

TEST_CASE("the gateway's own refusals answer the client's major version") {
  CHECK(xapi_answer_version("1.0.3") == "1.0.3");
  CHECK(xapi_answer_version("1.0") == "1.0.3");
  CHECK(xapi_answer_version("2.0.0") == "2.0.0");
  CHECK(xapi_answer_version("") == "1.0.3");    // as ingest answers unversioned requests
  CHECK(xapi_answer_version("3.0") == "1.0.3");
}
