#include "edfleet/service/common_config.h"

#include <array>
#include <string_view>

namespace edfleet::service {

void bind_common(core::ConfigSpec& spec, CommonConfig& config) {
  spec.bind("host", config.host, "Interface the gRPC and HTTP servers bind (0.0.0.0 in containers).");
  spec.bind("grpc.port", config.grpc_port, "gRPC port; 0 picks a free port (see ready_file).");
  spec.bind("http.port", config.http_port,
            "HTTP port for /metrics, /healthz and the service's routes; 0 picks a free port.");
  spec.bind("log.level", config.log_level, "Minimum log level: debug, info, warn, error or off.");
  spec.bind("ready_file", config.ready_file,
            "If set, written (atomically) with {service, grpc_port, http_port, pid} once serving, "
            "and removed on shutdown.");
  spec.bind("shutdown_grace", config.shutdown_grace,
            "On SIGTERM, how long in-flight gRPC calls may finish before they are cancelled.");
  spec.bind("kafka.bootstrap_servers", config.kafka_bootstrap_servers,
            "Kafka bootstrap servers, host:port[,host:port] (services that use Kafka).");
  spec.bind("postgres.url", config.postgres_url,
            "PostgreSQL connection URL, postgresql://user@host:port/db (services that use Postgres).");
  spec.bind("postgres.pool_size", config.postgres_pool_size, "PostgreSQL connections per process.");
}

core::Result<void> validate(const CommonConfig& config) {
  auto port_ok = [](int port) { return port >= 0 && port <= 65535; };
  if (config.host.empty()) return core::Error::invalid("key 'host' must not be empty", "host");
  if (!port_ok(config.grpc_port)) return core::Error::invalid("key 'grpc.port' must be a port number (0-65535)", "grpc.port");
  if (!port_ok(config.http_port)) return core::Error::invalid("key 'http.port' must be a port number (0-65535)", "http.port");
  if (config.grpc_port != 0 && config.grpc_port == config.http_port) {
    return core::Error::invalid("key 'http.port' must differ from grpc.port", "http.port");
  }
  constexpr std::array<std::string_view, 7> levels{"debug", "trace", "info", "warn", "warning", "error", "off"};
  bool known = false;
  for (auto level : levels) known = known || config.log_level == level;
  if (!known) return core::Error::invalid("key 'log.level' must be one of debug, info, warn, error, off", "log.level");
  if (config.shutdown_grace.count() < 0) return core::Error::invalid("key 'shutdown_grace' must not be negative", "shutdown_grace");
  if (config.postgres_pool_size < 1) return core::Error::invalid("key 'postgres.pool_size' must be at least 1", "postgres.pool_size");
  return {};
}

}  // namespace edfleet::service
