#include "edfleet/service/common_config.h"

#include <array>
#include <string_view>

namespace edfleet::service {

void bind_common(core::ConfigSpec& spec, CommonConfig& config) {
  spec.bind("host", config.host, "Interface the gRPC and HTTP servers bind (0.0.0.0 in containers).");
  spec.bind("grpc.port", config.grpc_port, "gRPC port; 0 picks a free port (see ready_file).");
  spec.bind("http.host", config.http_host, "Interface the HTTP port binds; empty = host.");
  spec.bind("http.port", config.http_port,
            "HTTP port for the service's routes (and /metrics, /healthz without an admin port); 0 picks a free port.");
  spec.bind("admin.host", config.admin_host, "Interface the admin listener binds; empty = host.");
  spec.bind("admin.port", config.admin_port,
            "Admin listener for /metrics, /healthz and operator routes, apart from http.port; -1 = none, 0 = a free port.");
  spec.bind("http.max_header_bytes", config.http_max_header_bytes,
            "Largest request line plus headers (431 above), checked before any route runs.");
  spec.bind("http.max_header_count", config.http_max_header_count, "Most request headers (431 above).");
  spec.bind("http.header_timeout", config.http_header_timeout,
            "A request's line and headers must arrive within this of its first byte (408); also how long a new "
            "connection may stay silent.");
  spec.bind("http.request_timeout", config.http_request_timeout,
            "A whole request, body included, must arrive within this of its first byte (408).");
  spec.bind("http.max_connections_per_address", config.http_max_connections_per_address,
            "Connections served at once per client address (more are answered 503); 0 = no limit.");
  spec.bind("internal_auth.secret", config.internal_auth.secret,
            "Shared secret (>= 32 bytes) that signs caller identities (x-edfleet-identity) between the gateway, "
            "tools and services; required. Same value fleet-wide.");
  spec.bind("internal_auth.accepted_secrets", config.internal_auth.accepted_secrets,
            "Further secrets accepted when verifying (rotation: the previous secret).");
  spec.bind("internal_auth.ttl", config.internal_auth.ttl, "How long a signed identity stays valid.");
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

http::ListenerLimits CommonConfig::listener_limits() const {
  http::ListenerLimits limits;
  limits.max_header_bytes = static_cast<std::size_t>(http_max_header_bytes);
  limits.max_header_count = static_cast<std::size_t>(http_max_header_count);
  limits.header_timeout = http_header_timeout;
  limits.request_timeout = http_request_timeout;
  limits.max_connections_per_address = static_cast<std::size_t>(http_max_connections_per_address);
  return limits;
}

core::Result<void> validate(const CommonConfig& config) {
  auto port_ok = [](int port) { return port >= 0 && port <= 65535; };
  if (config.host.empty()) return core::Error::invalid("key 'host' must not be empty", "host");
  if (!port_ok(config.grpc_port)) return core::Error::invalid("key 'grpc.port' must be a port number (0-65535)", "grpc.port");
  if (!port_ok(config.http_port)) return core::Error::invalid("key 'http.port' must be a port number (0-65535)", "http.port");
  if (config.admin_port != -1 && !port_ok(config.admin_port)) {
    return core::Error::invalid("key 'admin.port' must be a port number (0-65535) or -1", "admin.port");
  }
  if (config.admin_port > 0 && (config.admin_port == config.http_port || config.admin_port == config.grpc_port)) {
    return core::Error::invalid("key 'admin.port' must differ from http.port and grpc.port", "admin.port");
  }
  if (config.http_max_header_bytes < 1024 || config.http_max_header_bytes > 16 * 1024 * 1024) {
    return core::Error::invalid("key 'http.max_header_bytes' must be between 1024 and 16777216", "http.max_header_bytes");
  }
  if (config.http_max_header_count < 8 || config.http_max_header_count > 10000) {
    return core::Error::invalid("key 'http.max_header_count' must be between 8 and 10000", "http.max_header_count");
  }
  if (config.http_header_timeout.count() <= 0) {
    return core::Error::invalid("key 'http.header_timeout' must be positive", "http.header_timeout");
  }
  if (config.http_request_timeout < config.http_header_timeout) {
    return core::Error::invalid("key 'http.request_timeout' must be at least http.header_timeout", "http.request_timeout");
  }
  if (config.http_max_connections_per_address < 0) {
    return core::Error::invalid("key 'http.max_connections_per_address' must not be negative",
                                "http.max_connections_per_address");
  }
  if (auto auth = identity::validate(config.internal_auth); !auth) return auth;
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
