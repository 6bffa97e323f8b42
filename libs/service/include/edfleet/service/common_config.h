// The configuration keys every edfleet service shares: where it listens, how it logs, where its
// dependencies are. Services bind their own keys next to these.
#pragma once

#include <chrono>
#include <string>

#include "edfleet/core/config.h"
#include "edfleet/core/result.h"
#include "edfleet/http/hardened_server.h"
#include "edfleet/identity/caller_identity.h"

namespace edfleet::service {

// Keys: host, grpc.port, http.host, http.port, admin.host, admin.port, http.* listener limits,
// internal_auth.*, log.level, ready_file, shutdown_grace, kafka.bootstrap_servers, postgres.url,
// postgres.pool_size. A port of 0 picks a free port (reported in the ready file).
struct CommonConfig {
  std::string host = "127.0.0.1";  // loopback unless a deployment says otherwise (containers: 0.0.0.0)
  int grpc_port = 0;
  std::string http_host;  // empty = host
  int http_port = 0;
  // The admin listener (/metrics, /healthz and a service's operator routes such as /readyz), apart
  // from http.port when that one is public (the gateway). -1 = none: they are served on http.port.
  std::string admin_host;  // empty = host
  int admin_port = -1;
  // Listener limits of the HTTP and admin ports (see http::ListenerLimits); the body limit is each
  // service's own key.
  std::int64_t http_max_header_bytes = 64 * 1024;
  std::int64_t http_max_header_count = 100;
  std::chrono::milliseconds http_header_timeout{10000};
  std::chrono::milliseconds http_request_timeout{60000};
  std::int64_t http_max_connections_per_address = 64;
  identity::InternalAuthSettings internal_auth;
  std::string log_level = "info";
  std::string ready_file;  // written once the service serves; env EDFLEET_READY_FILE
  std::chrono::milliseconds shutdown_grace{10000};
  std::string kafka_bootstrap_servers;
  std::string postgres_url;
  int postgres_pool_size = 8;

  // The http.* limits as the listener takes them.
  http::ListenerLimits listener_limits() const;
};

// Binds the common keys to `config` (whose current values are the defaults).
void bind_common(core::ConfigSpec& spec, CommonConfig& config);

// Checks ranges and enumerations after loading; the error names the offending key in `field`.
core::Result<void> validate(const CommonConfig& config);

}  // namespace edfleet::service
