#include "fleet.h"

#include <algorithm>
#include <cctype>

namespace edfleet::cli {

const std::vector<ServiceSpec>& fleet_services() {
  // The services that keep state get a database each (the same list as
  // scripts/compose-init-databases.sql); the gateway's holds its API keys.
  static const std::vector<ServiceSpec> services = {
      {"ingest", 7101, 7102, true},    {"analytics", 7501, 7502, true},
      {"rules", 7201, 7202, true},     {"summaries", 7301, 7302, true},
      {"notify", 7401, 7402, true},    {"gateway", 7000, 8080, true},
  };
  return services;
}

const ServiceSpec* find_service(std::string_view name) {
  for (const auto& service : fleet_services()) {
    if (service.name == name) return &service;
  }
  return nullptr;
}

std::string binary_name(std::string_view service) { return "edfleet-" + std::string(service); }

std::string database_name(std::string_view service) {
  std::string name = "edfleet_" + std::string(service);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string env_prefix(std::string_view service) {
  std::string prefix = "EDFLEET_";
  for (char c : service) {
    prefix += c == '-' || c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  prefix += '_';
  return prefix;
}

PortPlan::Ports PortPlan::ports_for(const ServiceSpec& service) const {
  switch (mode) {
    case Mode::kEphemeral:
      return {0, 0};
    case Mode::kShifted:
      return {service.default_grpc_port - 7000 + base, service.default_http_port - 7000 + base};
    case Mode::kDefault:
      break;
  }
  return {service.default_grpc_port, service.default_http_port};
}

core::Result<PortPlan> shifted_port_plan(int base) {
  int lowest = 0;
  int highest = 0;
  bool first = true;
  for (const auto& service : fleet_services()) {
    for (int port : {service.default_grpc_port, service.default_http_port}) {
      int shifted = port - 7000 + base;
      lowest = first ? shifted : std::min(lowest, shifted);
      highest = first ? shifted : std::max(highest, shifted);
      first = false;
    }
  }
  if (lowest < 1024 || highest > 65535) {
    return core::Error::invalid("--port-base " + std::to_string(base) + " puts ports at " +
                                    std::to_string(lowest) + ".." + std::to_string(highest) +
                                    "; choose a base between " + std::to_string(1024 - (lowest - base)) +
                                    " and " + std::to_string(65535 - (highest - base)),
                                "port-base");
  }
  return PortPlan{PortPlan::Mode::kShifted, base};
}

namespace {

// Splits a URL into "scheme://authority", path and "?query" parts. Only the postgres URI form is
// supported; the key=value DSN form has no single place for the database.
struct UrlParts {
  std::string head;   // scheme://userinfo@host:port
  std::string path;   // without the leading '/'
  std::string tail;   // "?..." or ""
};

std::optional<UrlParts> split_url(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  auto scheme = url.substr(0, scheme_end);
  if (scheme != "postgresql" && scheme != "postgres") return std::nullopt;
  auto authority_start = scheme_end + 3;
  auto path_start = url.find_first_of("/?", authority_start);
  UrlParts parts;
  if (path_start == std::string_view::npos) {
    parts.head = std::string(url);
    return parts;
  }
  parts.head = std::string(url.substr(0, path_start));
  auto query_start = url.find('?', path_start);
  if (url[path_start] == '/') {
    auto end = query_start == std::string_view::npos ? url.size() : query_start;
    parts.path = std::string(url.substr(path_start + 1, end - path_start - 1));
  }
  if (query_start != std::string_view::npos) parts.tail = std::string(url.substr(query_start));
  return parts;
}

}  // namespace

core::Result<std::string> with_database(std::string_view url, std::string_view database) {
  auto parts = split_url(url);
  if (!parts) {
    return core::Error::invalid("database URL must look like postgresql://user@host:port/db, got \"" +
                                    redact_url(url) + "\"",
                                "database-url");
  }
  return parts->head + "/" + std::string(database) + parts->tail;
}

std::string redact_url(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?", authority_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  auto at = url.rfind('@', authority_end);
  if (at == std::string_view::npos || at < authority_start) return std::string(url);
  auto colon = url.find(':', authority_start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

std::map<std::string, std::string> service_environment(const ServiceSpec& service,
                                                       const ServiceLaunch& launch) {
  const std::string prefix = env_prefix(service.name);
  std::map<std::string, std::string> env;
  env["EDFLEET_KAFKA_BOOTSTRAP_SERVERS"] = launch.kafka_bootstrap_servers;
  env[prefix + "KAFKA_BOOTSTRAP_SERVERS"] = launch.kafka_bootstrap_servers;
  env["EDFLEET_READY_FILE"] = launch.ready_file;
  env[prefix + "READY_FILE"] = launch.ready_file;
  env[prefix + "GRPC_PORT"] = std::to_string(launch.ports.grpc);
  env[prefix + "HTTP_PORT"] = std::to_string(launch.ports.http);
  env[prefix + "HOST"] = "127.0.0.1";
  if (!launch.postgres_url.empty()) env[prefix + "POSTGRES_URL"] = launch.postgres_url;
  if (!launch.log_level.empty()) env[prefix + "LOG_LEVEL"] = launch.log_level;
  if (!launch.internal_auth_secret.empty()) env[prefix + "INTERNAL_AUTH_SECRET"] = launch.internal_auth_secret;
  for (const auto& [name, address] : launch.upstreams) {
    // e.g. EDFLEET_GATEWAY_INGEST_ADDRESS: the key "<upstream>.address" of the downstream service.
    env[prefix + env_prefix(name).substr(8) + "ADDRESS"] = address;
  }
  for (const auto& [name, address] : launch.upstream_http) {
    // e.g. EDFLEET_GATEWAY_INGEST_HTTP_ADDRESS: the gateway forwards POST /v1/events there.
    env[prefix + env_prefix(name).substr(8) + "HTTP_ADDRESS"] = address;
  }
  return env;
}

}  // namespace edfleet::cli
