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
  CHECK(header(headers, "Access-Control-Allow-Origin") == "*");
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

TEST_CASE("any origin (*) is answered with * and never with credentials") {
  // Were "*" answered with the caller's origin and Allow-Credentials: true, any site a user visits
  // could make credentialed calls to the gateway and read the answers.
  CorsPolicy cors({"*"}, std::chrono::seconds(600));
  for (const char* origin : {"https://evil.example.com", "http://localhost:5173", "null"}) {
    INFO(origin);
    auto response = cors.response_headers(origin);
    CHECK(header(response, "Access-Control-Allow-Origin") == "*");
    CHECK(header(response, "Access-Control-Allow-Credentials") == "<absent>");
    CHECK_THAT(header(response, "Access-Control-Expose-Headers"), Catch::Contains("grpc-status"));
    for (const auto& methods : {kPostMethods, kXapiMethods}) {
      auto preflight = cors.preflight_headers(origin, "authorization, content-type", methods);
      CHECK(header(preflight, "Access-Control-Allow-Origin") == "*");
      CHECK(header(preflight, "Access-Control-Allow-Credentials") == "<absent>");
      CHECK(header(preflight, "Access-Control-Allow-Methods") == std::string(methods));
      CHECK(header(preflight, "Access-Control-Allow-Headers") == "authorization, content-type");
    }
  }
  CHECK(cors.response_headers("").empty());  // not a CORS request
  // A policy built from a mixed list (refused at start-up, see below) still never adds credentials.
  CorsPolicy mixed({"https://app.example.com", "*"}, std::chrono::seconds(600));
  CHECK(header(mixed.response_headers("https://app.example.com"), "Access-Control-Allow-Credentials") == "<absent>");
  auto mixed_preflight = mixed.preflight_headers("https://app.example.com", "authorization");
  CHECK(header(mixed_preflight, "Access-Control-Allow-Credentials") == "<absent>");
}

TEST_CASE("listed origins keep their credentialed answers") {
  CorsPolicy cors({"https://app.example.com", "https://admin.example.com"}, std::chrono::seconds(600));
  auto preflight = cors.preflight_headers("https://admin.example.com", "authorization");
  CHECK(header(preflight, "Access-Control-Allow-Origin") == "https://admin.example.com");
  CHECK(header(preflight, "Access-Control-Allow-Credentials") == "true");
  CHECK(header(preflight, "Vary") == "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  CHECK(header(cors.response_headers("https://app.example.com"), "Access-Control-Allow-Credentials") == "true");
}

TEST_CASE("cors.allowed_origins is either * or listed origins, never both") {
  CHECK(validate_cors_origins({}).ok());
  CHECK(validate_cors_origins({"*"}).ok());
  CHECK(validate_cors_origins({"https://app.example.com", "http://localhost:5173"}).ok());
  for (const auto& mixed : std::vector<std::vector<std::string>>{{"*", "https://app.example.com"},
                                                                  {"https://app.example.com", "*"}}) {
    auto r = validate_cors_origins(mixed);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == edfleet::core::ErrorCode::kInvalidArgument);
    CHECK(r.error().field == "cors.allowed_origins");
    CHECK_THAT(r.error().message, Catch::Contains("https://app.example.com"));
  }
}
