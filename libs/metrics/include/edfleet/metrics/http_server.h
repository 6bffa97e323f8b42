// The HTTP side of every edfleet service: Prometheus metrics, a liveness probe, and service routes.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <prometheus/registry.h>

#include "edfleet/http/hardened_server.h"

namespace edfleet::metrics {

// The Prometheus exposition content type that /metrics answers with.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// One HTTP server per service. GET /metrics renders `registry` in the Prometheus text format
// (0.0.4); GET /healthz answers 200 "ok" for as long as the process serves HTTP at all (liveness;
// readiness is gRPC health). Services add their own handlers through routes() before start().
// start() binds `host:port` (port 0 picks a free port) and serves on a background thread pool until
// stop(); both are safe to call once each, and stop() is also called by the destructor.
// The server is an http::HardenedServer: its listener limits apply to every request before any
// route runs, and what they refused is counted in the registry as
// edfleet_http_refusals_total{listener,reason}. With serve_metrics false it serves no /metrics (a
// public listener whose metrics another listener serves).
class HttpServer {
 public:
  // `listener` labels the refusal counts ("http", "admin").
  HttpServer(std::string host, int port, std::shared_ptr<prometheus::Registry> registry, bool serve_metrics = true,
             const std::string& listener = "http");
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The underlying server, for adding routes. Add them before start().
  http::HardenedServer& routes() { return server_; }

  // Binds and starts serving; returns the bound port. Throws std::runtime_error when the address
  // cannot be bound (port in use, bad host) or when called twice.
  int start();

  // Stops accepting, lets in-flight requests finish and joins the serving thread. Idempotent.
  void stop();

  // The bound port, 0 before start().
  int port() const { return bound_port_; }

  // How many connections the kernel queues for accept() (as the kernel reports it), 0 before start().
  // httplib listens with a backlog of 5, which drops SYNs in any burst of new connections (each
  // dropped one waits ~1 s for the retransmit); start() raises it to kListenBacklog.
  int listen_backlog() const;
  static constexpr int kListenBacklog = 4096;

 private:
  std::string host_;
  int port_;
  std::shared_ptr<prometheus::Registry> registry_;
  http::HardenedServer server_;
  std::thread thread_;
  std::mutex mutex_;
  int bound_port_ = 0;
  int listen_socket_ = -1;  // captured when httplib creates it (set_socket_options)
  bool started_ = false;
};

// Renders a registry in the Prometheus text format; /metrics uses it, tests may too.
std::string render(const prometheus::Registry& registry);

}  // namespace edfleet::metrics
