// The gateway's configuration keys and its wiring, kept out of main.cpp so the composition can be
// read (and its key list documented) in one place. See config.yaml for every key and its default.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "edfleet/core/config.h"
#include "edfleet/service/service_host.h"

namespace edfleet::gateway {

struct GatewaySettings {
  bool migrate = true;
  std::map<std::string, std::string> routes;        // service full name -> upstream name
  std::map<std::string, std::string> upstreams;     // fleet upstream name -> gRPC address (<name>.address)
  std::map<std::string, std::string> extra_upstreams;
  std::string ingest_http_address;
  std::chrono::milliseconds default_timeout{30000};
  std::chrono::milliseconds max_timeout{300000};
  std::vector<std::string> stream_methods;
  std::chrono::milliseconds reconnect_backoff_max{1000};
  int max_message_bytes = 4 * 1024 * 1024;
  int max_request_bytes = 16 * 1024 * 1024;
  int http_threads = 64;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds keep_alive_timeout{30000};
  int keep_alive_max_requests = 100000;
  int max_concurrent_streams = 256;
  // A well-behaved client issuing requests back to back (an LMS syncing, a conformance run) makes
  // one to two thousand requests a second through the gateway; the defaults leave it at full
  // speed and stop only what no single honest client does (config.yaml says more).
  std::string key_rate = "2000/4000";
  std::string tenant_rate = "5000/10000";
  // Before authentication, per client address (behind a proxy or NAT, many clients share one).
  std::string address_rate = "5000/10000";
  std::string address_auth_failure_rate = "10/50";
  std::map<std::string, std::string> key_overrides;
  std::map<std::string, std::string> tenant_overrides;
  std::vector<std::string> cors_origins;
  std::chrono::milliseconds cors_max_age{600000};
  std::chrono::milliseconds key_cache_ttl{5000};
  std::string jwt_issuer;
  std::string jwt_audience;
  std::chrono::milliseconds jwt_leeway{60000};
  std::string jwt_tenant_claim = "tenant";
  std::string jwt_roles_claim = "roles";
  std::map<std::string, std::string> jwt_hs256_secrets;
  std::map<std::string, std::string> jwt_rs256_keys;
  std::string jwt_jwks_file;
  std::map<std::string, std::vector<std::string>> roles;
  std::string static_dir;
  std::string static_prefix = "/";

  GatewaySettings();  // the defaults documented in config.yaml
};

void bind_settings(core::ConfigSpec& spec, GatewaySettings& settings);

// The gateway's defaults for the common keys: its HTTP port faces the public, so /metrics, /healthz
// and /readyz get an admin listener of their own (admin.port, a free port unless configured).
service::CommonConfig common_defaults();

// Builds the gateway inside `host`. Throws std::invalid_argument with a message naming the key for
// a configuration that cannot work (unknown upstream in a route, bad rate, unusable JWT key...).
void wire_gateway(service::ServiceHost& host, GatewaySettings& settings);

}  // namespace edfleet::gateway
