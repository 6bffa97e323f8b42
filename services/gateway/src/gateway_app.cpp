#include "gateway_app.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "adapters/openssl_jwt_key_ring.h"
#include "adapters/openssl_secret_source.h"
#include "adapters/pg_api_key_store.h"
#include "domain/access_policy.h"
#include "domain/api_keys.h"
#include "domain/authenticator.h"
#include "edfleet/core/base64.h"
#include "domain/concurrency_limit.h"
#include "domain/cors.h"
#include "domain/grpc_web.h"
#include "domain/rate_limiter.h"
#include "domain/xapi_access.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/log.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/pg/pool.h"
#include "transport/gateway_admin_handler.h"
#include "transport/gateway_metrics.h"
#include "transport/grpc_web_proxy.h"
#include "transport/http_routes.h"
#include "transport/request_gate.h"
#include "transport/upstreams.h"

namespace edfleet::gateway {
namespace {

// The fleet's services, each with the key <name>.address (what `edfleet up` sets).
const std::vector<std::string> kFleetUpstreams = {"ingest", "analytics", "rules", "summaries", "notify"};

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

std::string read_file(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  require(static_cast<bool>(in), key + ": cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Rate rate_of(const std::string& text, const std::string& key) {
  auto rate = parse_rate(text);
  require(rate.has_value(), key + " must be \"rate/burst\" (requests per second / bucket size), got \"" + text + "\"");
  return *rate;
}

}  // namespace

GatewaySettings::GatewaySettings() {
  routes = {{"edfleet.ingest.v1.IngestService", "ingest"},
            {"edfleet.analytics.v1.AnalyticsService", "analytics"},
            {"edfleet.rules.v1.RulesService", "rules"},
            {"edfleet.summaries.v1.SummariesService", "summaries"},
            {"edfleet.notify.v1.NotifyService", "notify"},
            {"edfleet.gateway.v1.GatewayAdmin", kSelfUpstream},
            {"grpc.health.v1.Health", kSelfUpstream}};
  for (const auto& name : kFleetUpstreams) upstreams[name] = "";
  stream_methods = {"/grpc.health.v1.Health/Watch", "/edfleet.notify.v1.NotifyService/StreamAlerts"};
  cors_origins = {"http://localhost:5173", "http://127.0.0.1:5173"};
  const std::string health = "/grpc.health.v1.Health/*";
  const std::string lrs_read(kXapiReadMethod);
  const std::string lrs_write(kXapiWriteMethod);
  roles["admin"] = {"*"};
  roles["operator"] = {"/edfleet.analytics.v1.AnalyticsService/*", "/edfleet.rules.v1.RulesService/*",
                       "/edfleet.summaries.v1.SummariesService/*", "/edfleet.notify.v1.NotifyService/*", health};
  roles["educator"] = {lrs_read,
                       "/edfleet.analytics.v1.AnalyticsService/*",
                       "/edfleet.summaries.v1.SummariesService/SummarizeSession",
                       "/edfleet.summaries.v1.SummariesService/GetInsight",
                       "/edfleet.summaries.v1.SummariesService/ListInsights",
                       "/edfleet.notify.v1.NotifyService/ListInbox",
                       "/edfleet.notify.v1.NotifyService/MarkRead",
                       "/edfleet.notify.v1.NotifyService/GetPreferences",
                       "/edfleet.notify.v1.NotifyService/SetPreferences",
                       "/edfleet.notify.v1.NotifyService/StreamAlerts",
                       health};
  roles["learner"] = {"/edfleet.notify.v1.NotifyService/ListInbox", "/edfleet.notify.v1.NotifyService/MarkRead",
                      "/edfleet.notify.v1.NotifyService/GetPreferences",
                      "/edfleet.notify.v1.NotifyService/SetPreferences", health};
  roles["service"] = {"/edfleet.ingest.v1.IngestService/*", "/edfleet.analytics.v1.AnalyticsService/*", lrs_read,
                      lrs_write, health};
  // xAPI clients (content players, LMSs, headsets): the LRS only. A writer reads too, since xAPI
  // clients read back the state and statements they write.
  roles["lrs_reader"] = {lrs_read};
  roles["lrs_writer"] = {lrs_read, lrs_write};
}

service::CommonConfig common_defaults() {
  service::CommonConfig common;
  common.admin_port = 0;
  return common;
}

void bind_settings(core::ConfigSpec& spec, GatewaySettings& s) {
  spec.bind("gateway.migrate", s.migrate, "apply the API key schema migrations at start-up");
  spec.bind("routes", s.routes, "gRPC service full name -> upstream name (a <name>.address, upstream.extra, or self)");
  for (const auto& name : kFleetUpstreams) {
    spec.bind(name + ".address", s.upstreams[name], "host:port of edfleet-" + name + "'s gRPC port");
  }
  spec.bind("ingest.http_address", s.ingest_http_address, "host:port of ingest's HTTP port (POST /v1/events, /xapi/)");
  spec.bind("upstream.extra", s.extra_upstreams, "more upstreams: name -> host:port");
  spec.bind("upstream.default_timeout", s.default_timeout, "upstream deadline when the client sends no grpc-timeout");
  spec.bind("upstream.max_timeout", s.max_timeout, "cap on a client's grpc-timeout (stream methods excepted)");
  spec.bind("upstream.stream_methods", s.stream_methods,
            "long-lived streaming methods: no default deadline, grpc-timeout not capped");
  spec.bind("upstream.reconnect_backoff_max", s.reconnect_backoff_max, "longest wait between reconnection attempts");
  spec.bind("grpc_web.max_message_bytes", s.max_message_bytes, "largest gRPC-Web request message (decoded)");
  spec.bind("http.max_request_bytes", s.max_request_bytes, "largest HTTP request body (413 above)");
  spec.bind("http.threads", s.http_threads, "HTTP worker threads for requests (streams get their own on top)");
  spec.bind("http.read_timeout", s.read_timeout, "longest wait for a request's bytes");
  spec.bind("http.write_timeout", s.write_timeout, "longest wait for a slow client to take response bytes");
  spec.bind("http.keep_alive_timeout", s.keep_alive_timeout, "idle keep-alive connections close after this");
  spec.bind("http.keep_alive_max_requests", s.keep_alive_max_requests, "requests per keep-alive connection");
  spec.bind("limits.max_concurrent_streams", s.max_concurrent_streams, "gRPC-Web calls in progress at once");
  spec.bind("limits.key_rate", s.key_rate, "requests per second / burst per API key or JWT subject (0 = no limit)");
  spec.bind("limits.tenant_rate", s.tenant_rate, "requests per second / burst per tenant (0 = no limit)");
  spec.bind("limits.address_rate", s.address_rate,
            "requests per second / burst per client address, checked before authentication (0 = no limit)");
  spec.bind("limits.address_auth_failure_rate", s.address_auth_failure_rate,
            "failed authentications per second / burst per client address; over it, the address is refused "
            "before its credentials are looked up (0 = no limit)");
  spec.bind("limits.key_overrides", s.key_overrides, "key id -> rate/burst");
  spec.bind("limits.tenant_overrides", s.tenant_overrides, "tenant -> rate/burst");
  spec.bind("cors.allowed_origins", s.cors_origins,
            "origins browsers may call from (* alone = any, answered without credentials)");
  spec.bind("cors.max_age", s.cors_max_age, "how long browsers may cache a preflight");
  spec.bind("auth.key_cache_ttl", s.key_cache_ttl, "API keys are re-read (revocations seen) after this");
  spec.bind("jwt.issuer", s.jwt_issuer, "required iss of JWTs");
  spec.bind("jwt.audience", s.jwt_audience, "required aud of JWTs");
  spec.bind("jwt.leeway", s.jwt_leeway, "clock skew allowed on exp/nbf/iat");
  spec.bind("jwt.tenant_claim", s.jwt_tenant_claim, "claim holding the tenant slug");
  spec.bind("jwt.roles_claim", s.jwt_roles_claim, "claim holding the roles");
  spec.bind("jwt.hs256_secrets", s.jwt_hs256_secrets, "kid -> HS256 secret (>= 32 bytes; base64:<...> for binary)");
  spec.bind("jwt.rs256_keys", s.jwt_rs256_keys, "kid -> PEM file of an RSA public key or certificate (RS256)");
  spec.bind("jwt.jwks_file", s.jwt_jwks_file, "a JWKS file of RSA keys (RS256)");
  for (std::string_view role : kRoles) {
    spec.bind("roles." + std::string(role), s.roles[std::string(role)],
              "method patterns the " + std::string(role) + " role may call");
  }
  spec.bind("static.dir", s.static_dir, "directory of the web dashboard's files (empty = none)");
  spec.bind("static.prefix", s.static_prefix, "URL prefix the static files are served under");
}

void wire_gateway(service::ServiceHost& host, GatewaySettings& s) {
  const auto& common = host.config();
  auto& clock = core::SystemClock::instance();

  // --- upstreams and routes
  std::map<std::string, std::string> addresses = s.upstreams;
  for (const auto& [name, address] : s.extra_upstreams) {
    require(name != kSelfUpstream && addresses.count(name) == 0,
            "upstream.extra: '" + name + "' is already an upstream name");
    require(!address.empty(), "upstream.extra: '" + name + "' needs host:port");
    addresses[name] = address;
  }
  for (const auto& [service, upstream] : s.routes) {
    require(parse_method_path("/" + service + "/M").has_value(),
            "routes: '" + service + "' is not a gRPC service full name (package.Service)");
    require(upstream == kSelfUpstream || addresses.count(upstream) != 0,
            "routes: " + service + " -> '" + upstream + "': no such upstream (use " +
                "ingest, analytics, rules, summaries, notify, self or a name from upstream.extra)");
    if (upstream != kSelfUpstream && addresses[upstream].empty()) {
      core::log::warn("route to an upstream without address: its calls answer UNAVAILABLE",
                      {{"service", service}, {"upstream", upstream}, {"key", upstream + ".address"}});
    }
  }
  require(s.max_message_bytes > 0, "grpc_web.max_message_bytes must be positive");
  require(s.max_request_bytes >= s.max_message_bytes, "http.max_request_bytes must be >= grpc_web.max_message_bytes");
  require(s.http_threads >= 1 && s.http_threads <= 4096, "http.threads must be between 1 and 4096");
  require(s.max_concurrent_streams >= 1 && s.max_concurrent_streams <= 100000,
          "limits.max_concurrent_streams must be between 1 and 100000");
  require(s.default_timeout.count() > 0 && s.max_timeout.count() > 0, "upstream timeouts must be positive");
  for (const auto& pattern : s.stream_methods) {
    require(AccessPolicy::create({{"admin", {pattern}}}).ok(),
            "upstream.stream_methods: '" + pattern + "' must be /package.Service/Method or /package.Service/*");
  }

  // --- authorization, limits, CORS
  auto policy = AccessPolicy::create(s.roles);
  if (!policy) throw std::invalid_argument(policy.error().field + ": " + policy.error().message);
  auto& access = host.make<AccessPolicy>(std::move(policy).value());
  RateLimits limits;
  limits.key = rate_of(s.key_rate, "limits.key_rate");
  limits.tenant = rate_of(s.tenant_rate, "limits.tenant_rate");
  limits.address = rate_of(s.address_rate, "limits.address_rate");
  limits.address_auth_failures = rate_of(s.address_auth_failure_rate, "limits.address_auth_failure_rate");
  for (const auto& [key, text] : s.key_overrides) limits.key_overrides[key] = rate_of(text, "limits.key_overrides." + key);
  for (const auto& [tenant, text] : s.tenant_overrides) {
    limits.tenant_overrides[tenant] = rate_of(text, "limits.tenant_overrides." + tenant);
  }
  auto& limiter = host.make<RateLimiter>(clock, limits);
  if (auto origins = validate_cors_origins(s.cors_origins); !origins) {
    throw std::invalid_argument(origins.error().field + ": " + origins.error().message);
  }
  auto& cors = host.make<CorsPolicy>(s.cors_origins, std::chrono::duration_cast<std::chrono::seconds>(s.cors_max_age));

  // --- API keys (Postgres) and JWTs
  CachingKeyLookup* key_lookup = nullptr;
  ApiKeyService* key_service = nullptr;
  if (!common.postgres_url.empty()) {
    auto& pool = host.make<pg::ConnectionPool>(common.postgres_url, static_cast<std::size_t>(common.postgres_pool_size));
    if (s.migrate) {
      auto connection = pool.acquire();
      pg::apply_migrations(*connection, "gateway", migrations());
    }
    auto& store = host.make<PgApiKeyStore>(pool);
    auto& secrets = host.make<OpensslSecretSource>();
    key_service = &host.make<ApiKeyService>(store, secrets, clock);
    CachingKeyLookup::Options cache;
    cache.ttl = s.key_cache_ttl;
    cache.negative_ttl = std::min(s.key_cache_ttl, std::chrono::milliseconds(2000));
    key_lookup = &host.make<CachingKeyLookup>(store, clock, cache);
  } else {
    core::log::warn("no postgres.url: API keys are disabled; only JWTs authenticate");
  }
  auto& key_ring = host.make<OpensslJwtKeyRing>();
  for (const auto& [kid, secret] : s.jwt_hs256_secrets) {
    std::string bytes = secret;
    if (secret.starts_with("base64:")) {
      auto decoded = core::base64_decode(secret.substr(7));
      require(decoded.has_value(), "jwt.hs256_secrets." + kid + ": not valid base64");
      bytes = *decoded;
    }
    key_ring.add_hs256(kid, bytes);
  }
  for (const auto& [kid, path] : s.jwt_rs256_keys) key_ring.add_rs256_pem(kid, read_file(path, "jwt.rs256_keys." + kid));
  if (!s.jwt_jwks_file.empty()) key_ring.add_jwks(read_file(s.jwt_jwks_file, "jwt.jwks_file"));
  JwtPolicy jwt;
  if (!key_ring.empty()) {
    require(!s.jwt_issuer.empty(), "jwt.issuer is required when JWT keys are configured");
    require(!s.jwt_audience.empty(), "jwt.audience is required when JWT keys are configured");
  }
  jwt.issuer = s.jwt_issuer;
  jwt.audience = s.jwt_audience;
  jwt.leeway = std::chrono::duration_cast<std::chrono::seconds>(s.jwt_leeway);
  jwt.tenant_claim = s.jwt_tenant_claim;
  jwt.roles_claim = s.jwt_roles_claim;
  auto& authenticator = host.make<Authenticator>(key_lookup, &key_ring, jwt, clock);

  // --- transports
  auto& metrics = host.make<GatewayMetrics>(*host.registry());
  auto& gate = host.make<RequestGate>(authenticator, limiter, access, metrics);
  Upstreams::Options upstream_options;
  upstream_options.max_reconnect_backoff = s.reconnect_backoff_max;
  upstream_options.max_message_bytes = std::max(s.max_message_bytes, 16 * 1024 * 1024);
  auto& upstreams = host.make<Upstreams>(addresses, upstream_options);
  upstreams.set_self_address([&host] { return "127.0.0.1:" + std::to_string(host.grpc_port()); });

  ProxyOptions proxy_options;
  proxy_options.max_message_bytes = static_cast<std::size_t>(s.max_message_bytes);
  proxy_options.default_timeout = s.default_timeout;
  proxy_options.max_timeout = s.max_timeout;
  proxy_options.stream_methods = s.stream_methods;
  proxy_options.max_concurrent_streams = s.max_concurrent_streams;
  auto& calls = host.make<ConcurrencyLimit>(s.max_concurrent_streams);
  auto& proxy = host.make<GrpcWebProxy>(proxy_options, s.routes, upstreams, gate, cors, metrics, calls,
                                        core::RandomIdGenerator::instance(), host.identity_signer());

  auto& http = host.http();
  http.set_payload_max_length(static_cast<std::size_t>(s.max_request_bytes));
  http.set_read_timeout(s.read_timeout);
  http.set_write_timeout(s.write_timeout);
  http.set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(s.keep_alive_timeout).count());
  http.set_keep_alive_max_count(static_cast<std::size_t>(s.keep_alive_max_requests));
  // A worker serves one connection at a time, and a live stream keeps its worker: streams get
  // their own share of threads on top of the request threads.
  const std::size_t workers = static_cast<std::size_t>(s.http_threads + s.max_concurrent_streams);
  http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  proxy.add_routes(http);

  HttpRouteOptions route_options;
  route_options.ingest_http_address = s.ingest_http_address;
  route_options.upstream_timeout = s.default_timeout;
  route_options.static_dir = s.static_dir;
  route_options.static_prefix = s.static_prefix;
  add_address_limits(http, limiter, metrics);
  add_http_routes(http, host.admin_http(), route_options, gate, cors, upstreams, metrics, calls, host.identity_signer());

  auto& admin = host.make<GatewayAdminHandler>(key_service, authenticator, access);
  host.add_grpc_service(&admin, std::string(v1::GatewayAdmin::service_full_name()));
  // Live gRPC-Web streams end (UNAVAILABLE) before the HTTP server stops and joins its workers.
  host.on_shutdown([&proxy] { proxy.stop(); });

  nlohmann::json routes = s.routes;
  core::log::info("gateway wired", {{"routes", routes},
                                    {"api_keys", key_lookup != nullptr},
                                    {"jwt_keys", key_ring.size()},
                                    {"max_concurrent_streams", s.max_concurrent_streams},
                                    {"key_rate", s.key_rate},
                                    {"tenant_rate", s.tenant_rate}});
}

}  // namespace edfleet::gateway
