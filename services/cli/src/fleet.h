// The fleet as `edfleet up` knows it: which services exist, in which order they start, their default
// ports and databases, and the environment each one is started with. Pure data and functions, so the
// supervisor's inputs can be unit-tested without starting anything.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edfleet/core/result.h"

namespace edfleet::cli {

// One service of the fleet. `name` is the short name ("ingest"): the binary is edfleet-<name>, its
// configuration overrides are EDFLEET_<NAME>_*, its database edfleet_<name>.
struct ServiceSpec {
  std::string name;
  int default_grpc_port = 0;
  int default_http_port = 0;
  bool needs_database = false;
};

// Every service in start order (stop order is the reverse). The gateway comes last because it fronts
// the others and is told their addresses.
const std::vector<ServiceSpec>& fleet_services();
const ServiceSpec* find_service(std::string_view name);

std::string binary_name(std::string_view service);      // "edfleet-ingest"
std::string database_name(std::string_view service);    // "edfleet_ingest"
std::string env_prefix(std::string_view service);       // "EDFLEET_INGEST_"

// Where the services listen. kDefault uses the PLAN's ports (gateway 7000/8080, ingest 7101/7102...);
// kShifted moves all of them by the same offset so that base is the gateway's gRPC port;
// kEphemeral asks each service for a free port (0) and learns it from the ready file.
struct PortPlan {
  enum class Mode { kDefault, kShifted, kEphemeral };
  Mode mode = Mode::kDefault;
  int base = 7000;

  struct Ports {
    int grpc = 0;
    int http = 0;
  };
  Ports ports_for(const ServiceSpec& service) const;
};

// Validates --port-base: every shifted port must land in 1024..65535.
core::Result<PortPlan> shifted_port_plan(int base);

// Replaces the database of a libpq URL ("postgresql://u:p@h:5432/postgres?sslmode=disable" with
// "edfleet_ingest" -> "postgresql://u:p@h:5432/edfleet_ingest?sslmode=disable").
core::Result<std::string> with_database(std::string_view url, std::string_view database);

// The URL with any password replaced by "***", for printing and for the endpoints file.
std::string redact_url(std::string_view url);

// What a service is started with.
struct ServiceLaunch {
  std::string kafka_bootstrap_servers;
  std::string postgres_url;           // empty when the service has no database
  PortPlan::Ports ports;
  std::string ready_file;
  std::string log_level;              // empty = the service's default
  // gRPC addresses of the services started before this one, by name ("ingest" -> "127.0.0.1:7101").
  std::map<std::string, std::string> upstreams;
  // Their HTTP addresses, by name; only the gateway uses one (ingest's, for POST /v1/events). The
  // gateway's default `routes` map every service's full name to the upstream of that short name, so
  // the addresses are all the routing it needs.
  std::map<std::string, std::string> upstream_http;
  // The fleet's internal_auth.secret: every service gets the same one (it signs and checks the
  // caller identities the gateway and the tools pass on).
  std::string internal_auth_secret;
};

// The environment variables that configure `service` for this launch (added to the inherited
// environment). Uses the service-specific names (EDFLEET_INGEST_GRPC_PORT), which win over any
// generic EDFLEET_* the operator's shell may carry.
std::map<std::string, std::string> service_environment(const ServiceSpec& service,
                                                       const ServiceLaunch& launch);

}  // namespace edfleet::cli
