// The configuration keys every edfleet service shares: where it listens, how it logs, where its
// dependencies are. Services bind their own keys next to these.
#pragma once

#include <chrono>
#include <string>

#include "edfleet/core/config.h"
#include "edfleet/core/result.h"

namespace edfleet::service {

// Keys: host, grpc.port, http.port, log.level, ready_file, shutdown_grace, kafka.bootstrap_servers,
// postgres.url, postgres.pool_size. A port of 0 picks a free port (reported in the ready file).
struct CommonConfig {
  std::string host = "127.0.0.1";
  int grpc_port = 0;
  int http_port = 0;
  std::string log_level = "info";
  std::string ready_file;  // written once the service serves; env EDFLEET_READY_FILE
  std::chrono::milliseconds shutdown_grace{10000};
  std::string kafka_bootstrap_servers;
  std::string postgres_url;
  int postgres_pool_size = 8;
};

// Binds the common keys to `config` (whose current values are the defaults).
void bind_common(core::ConfigSpec& spec, CommonConfig& config);

// Checks ranges and enumerations after loading; the error names the offending key in `field`.
core::Result<void> validate(const CommonConfig& config);

}  // namespace edfleet::service
