// CORS: configured origins only, preflights reflect requested headers, gRPC status headers exposed.
#include <catch2/catch.hpp>

#include <algorithm>

#include "domain/cors.h"

using namespace edfleet::gateway;

namespace {
std::string header(const HeaderList& headers, const std::string& name) {
  auto it = std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; });
  return it == headers.end() ? "<absent>" : it->second;
}
}  // namespace

TEST_CASE("only configured origins get CORS headers") {
  CorsPolicy cors({"https://app.example.com"}, std::chrono::seconds(600));
  CHECK(cors.allows("https://app.example.com"));
  CHECK_FALSE(cors.allows("https://evil.example.com"));
  CHECK_FALSE(cors.allows(""));
  CHECK(cors.response_headers("https://evil.example.com").empty());
  CHECK(cors.preflight_headers("https://evil.example.com", "authorization").empty());

  auto headers = cors.response_headers("https://app.example.com");
  CHECK(header(headers, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(header(headers, "Access-Control-Allow-Credentials") == "true");
  const auto exposed = header(headers, "Access-Control-Expose-Headers");
  for (const char* name : {"grpc-status", "grpc-message", "grpc-status-details-bin"}) {
    CHECK_THAT(exposed, Catch::Contains(name));
  }
  CHECK(header(headers, "Vary") == "Origin");
}

TEST_CASE("a preflight allows POST and OPTIONS and reflects the requested headers") {
  CorsPolicy cors({"*"}, std::chrono::seconds(600));
  auto headers = cors.preflight_headers("http://localhost:5173",
                                        "content-type, x-grpc-web,authorization , x-user-agent,bad header,evil\r\nx: y");
  CHECK(header(headers, "Access-Control-Allow-Origin") == "http://localhost:5173");
  CHECK(header(headers, "Access-Control-Allow-Methods") == "POST, OPTIONS");
  CHECK(header(headers, "Access-Control-Allow-Headers") == "content-type, x-grpc-web, authorization, x-user-agent");
  CHECK(header(headers, "Access-Control-Max-Age") == "600");
}

TEST_CASE("xAPI preflights allow the LRS's methods; its headers are exposed") {
  CorsPolicy cors({"*"}, std::chrono::seconds(600));
  auto headers = cors.preflight_headers("http://localhost:5173", "authorization, x-experience-api-version, if-match",
                                        kXapiMethods);
  CHECK(header(headers, "Access-Control-Allow-Methods") == "GET, HEAD, PUT, POST, DELETE, OPTIONS");
  CHECK(header(headers, "Access-Control-Allow-Headers") == "authorization, x-experience-api-version, if-match");
  const auto exposed = header(cors.response_headers("http://localhost:5173"), "Access-Control-Expose-Headers");
  for (const char* name : {"x-experience-api-version", "x-experience-api-consistent-through", "etag", "last-modified"}) {
    CHECK_THAT(exposed, Catch::Contains(name));
  }
}
