// The gRPC server every edfleet service runs: health, reflection, metrics and access logs built in.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/server.h>
#include <prometheus/registry.h>

#include "edfleet/identity/caller_identity.h"

namespace edfleet::grpc {

struct ServerOptions {
  // Largest request and response accepted; ingest batches are the biggest messages in the fleet.
  int max_message_bytes = 16 * 1024 * 1024;
  // Verifies the caller identity metadata (x-edfleet-tenant/-principal/-roles) of every call before
  // any handler runs; must outlive the server. Null: no call may claim an identity.
  const identity::IdentityVerifier* identity_verifier = nullptr;
};

// A gRPC server with what every service needs and none should hand-roll:
//  - grpc.health.v1.Health (the default health service). Health is NOT_SERVING after start() until
//    set_serving(true), so "SERVING" means the whole service (not just the port) is ready. Services
//    added with a health name are reported under that name too (clients usually check "").
//  - server reflection (grpcurl, the gateway's tooling).
//  - per-method Prometheus metrics in the given registry: edfleet_grpc_server_handled_total{method,code}
//    and edfleet_grpc_server_handling_seconds{method} (histogram).
//  - one JSON access-log line per call: method, code, duration_ms, peer, trace_id (from the W3C
//    `traceparent` header), tenant (from x-edfleet-tenant), error (the status message when not OK).
//    Health and reflection calls log at debug level so probes do not flood the logs.
//  - a maximum message size, and no SO_REUSEPORT (two processes must not silently share a port).
//  - caller identity checked for every call (identity_interceptor.h): metadata that claims a tenant,
//    principal or roles without a valid x-edfleet-identity signature is removed before the handler
//    runs, so handlers see no identity and refuse (caller_tenant() says why).
// Lifecycle: add_service()* -> start() -> set_serving() -> shutdown(). Not copyable.
class Server {
 public:
  explicit Server(std::shared_ptr<prometheus::Registry> registry, ServerOptions options = {});
  ~Server();  // shuts down immediately (cancelling in-flight calls) if shutdown() was not called
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers a service; it must outlive the server. `health_name` is the service's full name
  // (e.g. RulesService::service_full_name()) for per-service health; empty = overall health only.
  void add_service(::grpc::Service* service, std::string health_name = {});

  // Binds host:port (0 = a free port) and starts serving; returns the bound port. Throws
  // std::runtime_error if the port cannot be bound or start() was called before.
  int start(const std::string& host, int port);

  // Sets grpc.health.v1 status (overall and every named service) to SERVING or NOT_SERVING.
  void set_serving(bool serving);

  // Stops accepting calls, lets in-flight calls finish until `deadline` (then cancels them), and
  // waits for the server to stop. Reports NOT_SERVING first. Idempotent.
  void shutdown(std::chrono::system_clock::time_point deadline);

  // The bound port, 0 before start().
  int port() const { return port_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  ServerOptions options_;
  std::vector<std::pair<::grpc::Service*, std::string>> services_;
  std::unique_ptr<::grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace edfleet::grpc
