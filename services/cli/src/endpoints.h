// The endpoints file: where a running `edfleet up` says its services listen, so that `edfleet publish`
// and `edfleet query` (other processes, possibly other shells) can find them without flags.
// JSON, written atomically (temp file + rename) once every service is ready, removed at shutdown.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edfleet/core/result.h"

namespace edfleet::cli {

struct ServiceEndpoint {
  std::string name;
  std::string grpc;   // host:port
  std::string http;   // host:port
  int pid = 0;
  std::string admin;  // host:port of the admin listener (/metrics, /healthz, /readyz); empty = on http
};

struct Endpoints {
  int pid = 0;                          // the `edfleet up` process
  std::string started_at;               // RFC 3339
  std::string kafka_bootstrap_servers;
  std::string postgres_url;             // password redacted
  std::string gateway_database_url;     // the gateway's database (API keys), password redacted; for `edfleet keys`
  // The fleet's internal_auth.secret, so that tools acting for a tenant (publish, query, rules, sim)
  // can sign like the gateway. The file is written readable by its owner only.
  std::string internal_auth_secret;
  std::vector<ServiceEndpoint> services;

  const ServiceEndpoint* find(std::string_view name) const;
};

nlohmann::json to_json(const Endpoints& endpoints);
core::Result<Endpoints> endpoints_from_json(const nlohmann::json& json);

core::Result<void> write_endpoints_file(const std::string& path, const Endpoints& endpoints);
// kNotFound when the file does not exist; kInvalidArgument when it is not an endpoints file.
core::Result<Endpoints> read_endpoints_file(const std::string& path);

// The internal_auth secret tools sign caller identities with: $EDFLEET_INTERNAL_AUTH_SECRET, else
// the running fleet's endpoints file; kNotFound saying how to get one otherwise.
core::Result<std::string> internal_auth_secret(const std::string& endpoints_file);

// Where the endpoints file lives: the explicit path if given, else <data_dir>/endpoints.json if a data
// dir is given, else ./.edfleet/endpoints.json.
std::string endpoints_path(const std::string& explicit_path, const std::string& data_dir);

// The address to call `service` at: the override if given, else the endpoints file's entry, else the
// fleet's default port on loopback. `source` says which, for error messages.
struct ResolvedAddress {
  std::string address;
  std::string source;   // "--ingest", "endpoints file <path>", "default port"
};
ResolvedAddress resolve_address(std::string_view service, const std::string& override_address,
                                const std::string& endpoints_file);

}  // namespace edfleet::cli
