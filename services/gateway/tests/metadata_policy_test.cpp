// Which client headers reach the upstream as metadata.
#include <catch2/catch.hpp>

#include "domain/metadata_policy.h"

using namespace edfleet::gateway;

TEST_CASE("internal metadata sent by a client is never forwarded") {
  for (const char* name : {"x-edfleet-tenant", "X-Edfleet-Tenant", "x-edfleet-principal", "x-edfleet-roles",
                           "x-edfleet-anything"}) {
    INFO(name);
    CHECK(is_internal_header(name));
    CHECK_FALSE(is_forwardable_header(name));
  }
}

TEST_CASE("hop-by-hop, credential, browser and reserved headers are dropped") {
  for (const char* name : {"connection", "Keep-Alive", "transfer-encoding", "te", "upgrade", "host", "content-length",
                           "content-type", "authorization", "cookie", "origin", "user-agent", "x-grpc-web",
                           "grpc-timeout", "grpc-encoding", "access-control-request-headers", "sec-fetch-mode",
                           "traceparent", ":path", "x-forwarded-for"}) {
    INFO(name);
    CHECK_FALSE(is_forwardable_header(name));
  }
}

TEST_CASE("application metadata is forwarded") {
  for (const char* name : {"x-request-id", "tracestate", "x-client-version", "custom-bin", "X-Mixed-Case"}) {
    INFO(name);
    CHECK(is_forwardable_header(name));
  }
  CHECK_FALSE(is_forwardable_header("bad name"));
  CHECK(is_valid_ascii_metadata_value("plain value 123"));
  CHECK_FALSE(is_valid_ascii_metadata_value("line\r\nbreak"));
  CHECK_FALSE(is_valid_ascii_metadata_value("caf\xc3\xa9"));
}
