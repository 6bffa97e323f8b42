// The gateway's plain HTTP routes, next to gRPC-Web on the same port:
//   POST /v1/events   forwarded to ingest's HTTP API (authenticated; checked as IngestService/Publish)
//   *    /xapi/...    the xAPI LRS: every path and method forwarded to ingest's HTTP API with the
//                     query string, body and xAPI headers, and the caller's tenant and principal;
//                     checked as /edfleet.xapi.Lrs/Read or /Write (domain/xapi_access.h);
//                     /xapi/about needs no credentials
//   GET  /readyz      (admin listener) 200 when every configured upstream reports SERVING, else 503
//   OPTIONS *         CORS preflight for gRPC-Web and the routes above
//   GET  <prefix>/... static files of the web dashboard, when a directory is configured
// (/metrics and /healthz come from libs/metrics, on the admin listener.) Ahead of all of them, a
// per-address rate limit (add_address_limits) refuses floods before authentication costs anything.
#pragma once

#include <chrono>
#include <string>

#include <httplib.h>

#include "domain/concurrency_limit.h"
#include "domain/cors.h"
#include "domain/rate_limiter.h"
#include "edfleet/http/hardened_server.h"
#include "edfleet/identity/caller_identity.h"
#include "transport/gateway_metrics.h"
#include "transport/request_gate.h"
#include "transport/upstreams.h"

namespace edfleet::gateway {

struct HttpRouteOptions {
  std::string ingest_http_address;                    // host:port of ingest's HTTP port (/v1/events, /xapi/); empty = 503
  std::chrono::milliseconds upstream_timeout{30000};  // for forwarded HTTP requests
  std::chrono::milliseconds readiness_timeout{1000};  // per upstream health check
  std::string static_dir;                             // empty = no static files
  std::string static_prefix = "/";
};

// Adds the routes above: /readyz on `admin`, the rest on the public `server`. Forwarded requests
// take a slot of `calls` (the limit gRPC-Web calls share), pass the gate's rate limits, and carry the
// caller identity signed by `signer`. Throws std::invalid_argument when static_dir is set but not a
// directory.
void add_http_routes(httplib::Server& server, httplib::Server& admin, const HttpRouteOptions& options,
                     RequestGate& gate, const CorsPolicy& cors, Upstreams& upstreams, GatewayMetrics& metrics,
                     ConcurrencyLimit& calls, const identity::IdentitySigner& signer);

// Refuses (429 + Retry-After) requests from an address over limits.address_rate, or whose failed
// authentications are over limits.address_auth_failure_rate, before routing or authentication.
void add_address_limits(http::HardenedServer& server, RateLimiter& limiter, GatewayMetrics& metrics);

}  // namespace edfleet::gateway
