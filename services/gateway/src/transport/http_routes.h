// The gateway's plain HTTP routes, next to gRPC-Web on the same port:
//   POST /v1/events   forwarded to ingest's HTTP API (authenticated; checked as IngestService/Publish)
//   *    /xapi/...    the xAPI LRS: every path and method forwarded to ingest's HTTP API with the
//                     query string, body and xAPI headers, and the caller's tenant and principal;
//                     checked as /edfleet.xapi.Lrs/Read or /Write (domain/xapi_access.h);
//                     /xapi/about needs no credentials
//   GET  /readyz      200 when every configured upstream reports SERVING, else 503 (JSON either way)
//   OPTIONS *         CORS preflight for gRPC-Web and the routes above
//   GET  <prefix>/... static files of the web dashboard, when a directory is configured
// (/metrics and /healthz come from libs/metrics.)
#pragma once

#include <chrono>
#include <string>

#include <httplib.h>

#include "domain/concurrency_limit.h"
#include "domain/cors.h"
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

// Adds the routes above. Forwarded requests take a slot of `calls` (the limit gRPC-Web calls share)
// and pass the gate's rate limits. Throws std::invalid_argument when static_dir is set but not a
// directory.
void add_http_routes(httplib::Server& server, const HttpRouteOptions& options, RequestGate& gate,
                     const CorsPolicy& cors, Upstreams& upstreams, GatewayMetrics& metrics,
                     ConcurrencyLimit& calls);

}  // namespace edfleet::gateway
