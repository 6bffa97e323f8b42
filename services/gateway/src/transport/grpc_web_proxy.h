// The gRPC-Web front end: POST /<package.Service>/<Method> with a gRPC-Web body (binary or base64
// text) becomes a gRPC call to the upstream that serves <package.Service> (the routing table), made
// byte for byte with the generic stub, so new RPCs need no gateway code.
//
// Per request: CORS headers for allowed origins; authentication, rate limits and the role check
// (RequestGate); the body's frames checked (size, flags, truncation); the call made with the
// client's metadata minus internal/hop-by-hop headers, plus x-edfleet-tenant/-principal/-roles
// from the caller and a traceparent (continued or new); grpc-timeout honoured (capped). The
// response streams as HTTP/1.1 chunks: each upstream message is flushed as it arrives (base64
// per flush in text mode), the trailer frame last. An error before any message is a trailers-only
// response (grpc-status in the HTTP headers, empty body). Refusals by the gateway itself are
// trailers-only too, with the gRPC code (HTTP 200, as gRPC-Web clients expect).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <httplib.h>

#include "domain/concurrency_limit.h"
#include "domain/cors.h"
#include "edfleet/core/ids.h"
#include "edfleet/identity/caller_identity.h"
#include "transport/gateway_metrics.h"
#include "transport/request_gate.h"
#include "transport/upstreams.h"

namespace edfleet::gateway {

class UpstreamCall;

struct ProxyOptions {
  std::size_t max_message_bytes = 4 * 1024 * 1024;   // per request message (decoded)
  std::chrono::milliseconds default_timeout{30000};  // upstream deadline when the client sends none
  std::chrono::milliseconds max_timeout{300000};     // cap on a client's grpc-timeout
  // Methods (patterns as in roles) that are long-lived streams: no default deadline, and a
  // client's grpc-timeout is not capped.
  std::vector<std::string> stream_methods;
  int max_concurrent_streams = 256;                  // gRPC-Web calls in progress, unary included
  std::chrono::milliseconds client_check_interval{200};  // how often a waiting call checks its client
  std::chrono::milliseconds header_wait{50};         // headers-only upstream: wait this long for a first message
  // How long a call (stream methods excepted) may take to end before its response starts
  // streaming: a unary answer within it goes out as one complete response (Content-Length, no
  // chunking) after a single wake-up. A slower call streams as usual, its first message at most
  // this much later.
  std::chrono::microseconds unary_wait{5000};
};

class GrpcWebProxy {
 public:
  // `calls` is the concurrency budget (shared with the HTTP routes); options.max_concurrent_streams
  // only names it in refusals.
  GrpcWebProxy(ProxyOptions options, std::map<std::string, std::string> routes, Upstreams& upstreams,
               RequestGate& gate, const CorsPolicy& cors, GatewayMetrics& metrics, ConcurrencyLimit& calls,
               core::IdGenerator& ids, const identity::IdentitySigner& signer);
  ~GrpcWebProxy();

  // Registers the gRPC-Web route on `server` (before the server starts).
  void add_routes(httplib::Server& server);

  // Refuses new calls and cancels those in progress; their clients get UNAVAILABLE. For shutdown,
  // before the HTTP server stops (whose workers would otherwise wait on live streams).
  void stop();

  int active_calls() const { return calls_limit_.active(); }

 private:
  struct Exchange;
  void handle(const httplib::Request& req, httplib::Response& res);
  void finish(Exchange& exchange, const std::string& code);
  bool is_stream_method(const std::string& method) const;

  ProxyOptions options_;
  std::map<std::string, std::string> routes_;  // service full name -> upstream name
  Upstreams& upstreams_;
  RequestGate& gate_;
  const CorsPolicy& cors_;
  GatewayMetrics& metrics_;
  ConcurrencyLimit& calls_limit_;
  core::IdGenerator& ids_;
  const identity::IdentitySigner& signer_;  // signs the caller identity sent upstream
  std::atomic<bool> stopping_{false};
  std::mutex calls_mutex_;
  std::unordered_map<UpstreamCall*, std::shared_ptr<UpstreamCall>> calls_;
};

// gRPC status code names as metrics and logs label them; shared by the HTTP routes.
std::string code_name(int grpc_code);

}  // namespace edfleet::gateway
