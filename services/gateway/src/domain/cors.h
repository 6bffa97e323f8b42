// CORS for browser clients (gRPC-Web and the HTTP routes), per the Fetch standard: only configured
// origins get CORS headers; preflights reflect the requested headers and allow the route's methods.
//
// Listed origins are answered with themselves and Access-Control-Allow-Credentials: true. "*"
// (any origin) is answered with Access-Control-Allow-Origin: * and never with Allow-Credentials:
// any site could otherwise make credentialed calls. Browsers need no credentials mode for the
// gateway, which authenticates by the Authorization header (sent under "*" when allowed), not cookies.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "domain/grpc_web.h"
#include "edfleet/core/result.h"

namespace edfleet::gateway {

// Response headers browsers may read: the gRPC status trio, the xAPI LRS's headers (browser xAPI
// clients read the version, the consistency watermark and document ETags) and what the gateway adds.
inline constexpr std::string_view kExposedHeaders =
    "grpc-status, grpc-message, grpc-status-details-bin, retry-after, x-edfleet-trace-id, "
    "x-experience-api-version, x-experience-api-consistent-through, etag, last-modified, www-authenticate";

// What preflights allow: gRPC-Web and /v1/events are POST; the xAPI LRS takes every method it serves.
inline constexpr std::string_view kPostMethods = "POST, OPTIONS";
inline constexpr std::string_view kXapiMethods = "GET, HEAD, PUT, POST, DELETE, OPTIONS";

// Checks the configured origins (cors.allowed_origins): either ["*"] or exact origins, never both,
// since "*" would silently turn the listed origins' credentialed answers into anonymous ones. The
// error is kInvalidArgument with field "cors.allowed_origins".
core::Result<void> validate_cors_origins(const std::vector<std::string>& origins);

class CorsPolicy {
 public:
  // `origins`: exact origins ("https://app.example.com"); "*" allows any origin, without
  // credentials (and wins over listed origins, which validate_cors_origins refuses).
  CorsPolicy(std::vector<std::string> origins, std::chrono::seconds max_age);

  bool allows(std::string_view origin) const;

  // Headers for an actual (non-preflight) response to `origin`; empty when it is not allowed.
  // Never Access-Control-Allow-Credentials with "*".
  HeaderList response_headers(std::string_view origin) const;

  // Headers for a preflight from `origin` asking for `requested_headers` (the
  // Access-Control-Request-Headers value); empty when the origin is not allowed. Requested header
  // names are reflected, minus anything that is not a header-name token. `methods` is the
  // Access-Control-Allow-Methods value. Never Access-Control-Allow-Credentials with "*".
  HeaderList preflight_headers(std::string_view origin, std::string_view requested_headers,
                               std::string_view methods = kPostMethods) const;

 private:
  std::vector<std::string> origins_;
  bool any_ = false;
  std::chrono::seconds max_age_;
};

}  // namespace edfleet::gateway
