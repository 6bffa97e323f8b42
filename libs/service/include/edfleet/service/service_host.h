// ServiceHost: the process shell every edfleet service runs in, so that start-up, readiness, signals
// and graceful shutdown behave the same across the fleet.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

#include "edfleet/grpc/server.h"
#include "edfleet/metrics/http_server.h"
#include "edfleet/service/common_config.h"

namespace edfleet::service {

// Owns a service's gRPC server, HTTP server (/metrics, /healthz + service routes), metrics registry,
// background loops (e.g. Kafka consumer loops) and the objects the composition root makes.
//
// run():
//   1. blocks SIGTERM/SIGINT in the calling thread (threads started later inherit the mask),
//   2. starts gRPC and HTTP, then the background loops, each on its own thread,
//   3. reports SERVING on grpc.health.v1 and writes the ready file (JSON {"service","grpc_port",
//      "http_port","pid"} and "admin_port" when there is one, atomically via tmp + rename),
//   4. waits (sigwait) for SIGTERM/SIGINT or request_stop(), then shuts down in this order: health
//      NOT_SERVING; gRPC stops accepting and drains in-flight calls for up to shutdown_grace; every
//      background loop's stop function, then their threads are joined; on_shutdown steps in reverse
//      order of registration; HTTP stops; the ready file is removed.
// It returns the process exit code: 0 after a requested stop, 1 if start-up failed, a background
// loop threw or returned on its own (a service whose consumer died must not linger as a zombie that
// still answers health checks), or a shutdown step threw.
class ServiceHost {
 public:
  ServiceHost(std::string name, CommonConfig config);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  const std::string& name() const { return name_; }
  const CommonConfig& config() const { return config_; }
  std::shared_ptr<prometheus::Registry> registry() { return registry_; }

  // The HTTP server's routes; add handlers before run().
  http::HardenedServer& http() { return http_.routes(); }
  // The admin listener's routes (/metrics, /healthz live there): the HTTP server itself when the
  // service has no admin port. Operator routes (readiness with details...) go here.
  http::HardenedServer& admin_http() { return admin_http_ ? admin_http_->routes() : http_.routes(); }

  // Signs the caller identity this service passes on (internal_auth.secret), and verifies the ones
  // it receives (the gRPC server does so for every call; HTTP routes ask the verifier).
  const identity::IdentitySigner& identity_signer() const { return signer_; }
  const identity::IdentityVerifier& identity_verifier() const { return verifier_; }

  // Serves `service` (which must outlive run()). `health_name` (the service's full name) also
  // reports it by name on grpc.health.v1; empty = overall health only.
  void add_grpc_service(::grpc::Service* service, std::string health_name = {});

  // A step run at shutdown, after gRPC has drained and background loops have stopped. Steps run in
  // reverse order of registration (like destructors).
  void on_shutdown(std::function<void()> step);

  // A loop run on its own thread from start-up until shutdown; `stop` must make `run` return soon
  // (thread-safe). `name` labels its log lines.
  void add_background(std::function<void()> run, std::function<void()> stop, std::string name = "background");

  // Constructs an object owned by the host, alive until the host is destroyed (after run() has
  // shut everything down); objects are destroyed in reverse order of creation. Lets the composition
  // root keep handlers, producers and stores alive without globals.
  template <typename T, typename... Args>
  T& make(Args&&... args) {
    auto object = std::make_shared<T>(std::forward<Args>(args)...);
    T& ref = *object;
    owned_.push_back(std::move(object));
    return ref;
  }

  // Starts, serves until stopped, shuts down; returns the exit code. Call once.
  int run();

  // Makes run() shut down as if SIGTERM had arrived. Thread-safe; may be called before run().
  void request_stop();

  // Bound ports, known once run() has started the servers (0 before).
  int grpc_port() const { return grpc_port_.load(); }
  int http_port() const { return http_port_.load(); }
  int admin_port() const { return admin_port_.load(); }  // 0 without an admin listener

 private:
  struct Background {
    std::string name;
    std::function<void()> run;
    std::function<void()> stop;
  };

  void stop_because(std::string reason, bool failure);
  std::string wait_for_stop();
  void shut_down();

  std::string name_;
  CommonConfig config_;
  std::shared_ptr<prometheus::Registry> registry_;
  identity::IdentitySigner signer_;
  identity::IdentityVerifier verifier_;
  grpc::Server grpc_;
  metrics::HttpServer http_;
  std::unique_ptr<metrics::HttpServer> admin_http_;
  std::vector<Background> backgrounds_;
  std::vector<std::thread> background_threads_;
  std::vector<std::function<void()>> shutdown_steps_;
  std::vector<std::shared_ptr<void>> owned_;

  std::atomic<int> grpc_port_{0};
  std::atomic<int> http_port_{0};
  std::atomic<int> admin_port_{0};
  std::atomic<bool> failed_{false};

  std::mutex mutex_;  // guards the stop bookkeeping below
  bool ran_ = false;
  bool run_thread_known_ = false;
  pthread_t run_thread_{};
  bool stop_requested_ = false;
  bool shutting_down_ = false;
  std::string stop_reason_;
};

// Blocks SIGTERM and SIGINT in the calling thread, so that threads it starts afterwards inherit the
// mask and the signals are only ever taken by sigwait in ServiceHost::run().
void block_stop_signals();

}  // namespace edfleet::service
