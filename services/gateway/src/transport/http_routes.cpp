#include "transport/http_routes.h"

#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "domain/metadata_policy.h"
#include "domain/xapi_access.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/log.h"
#include "edfleet/grpc/health_client.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"
#include "edfleet/http/alternate_syntax.h"
#include "edfleet/http/header_values.h"
#include "edfleet/http/status.h"

namespace edfleet::gateway {
namespace {

using Clock = std::chrono::steady_clock;



// {"error": {"code": "UNAUTHENTICATED", "message": "..."}}, with gRPC code names like ingest's errors.
void send_error(httplib::Response& res, int status, core::ErrorCode code, const std::string& message,
                const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json error = {{"code", edfleet::grpc::status_code_name(edfleet::grpc::to_status_code(code))},
                          {"message", message}};
  error.update(extra);
  res.status = status;
  res.set_content(nlohmann::json{{"error", error}}.dump(), "application/json");
}

// One keep-alive client per worker thread and upstream (httplib clients serialise their requests).
httplib::Client& client_for(const std::string& address, std::chrono::milliseconds timeout) {
  thread_local std::unordered_map<std::string, std::unique_ptr<httplib::Client>> clients;
  auto& client = clients[address];
  if (!client) {
    client = std::make_unique<httplib::Client>("http://" + address);
    client->set_connection_timeout(std::chrono::seconds(2));
    client->set_read_timeout(timeout);
    client->set_write_timeout(timeout);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    // The request target goes upstream exactly as the client sent it ('+' in a query stays '+').
    client->set_url_encode(false);
  }
  return *client;
}

// What the gateway needs to forward HTTP requests; shared by the route handlers.
struct Forwarding {
  HttpRouteOptions options;
  RequestGate& gate;
  const CorsPolicy& cors;
  GatewayMetrics& metrics;
  ConcurrencyLimit& calls;
  const identity::IdentitySigner& signer;
};

// One forwarded route: /v1/events (one policy method, the generic header policy, the path only) or
// the xAPI LRS (policy method by HTTP method, xAPI header allow-lists, path and query string).
struct ForwardedRoute {
  std::string route;          // metrics and log label
  std::string policy_method;  // for /v1/events
  bool xapi = false;
};

// Authenticates, limits and forwards one request to `address`, answering the upstream's response.
void forward(Forwarding& f, const ForwardedRoute& how, const std::string& address, const httplib::Request& req,
             httplib::Response& res) {
  const auto started = Clock::now();
  for (const auto& [name, value] : f.cors.response_headers(req.get_header_value("Origin"))) res.set_header(name, value);
  auto parent = edfleet::grpc::parse_traceparent(req.get_header_value("traceparent"));
  const std::string trace_id = parent ? parent->trace_id : core::RandomIdGenerator::instance().trace_id();
  core::log::TraceScope trace(trace_id);
  res.set_header("X-Edfleet-Trace-Id", trace_id);
  if (how.xapi) {
    // Every LRS response carries a version; ingest answers what it handles with the one in use.
    res.set_header("X-Experience-API-Version",
                   std::string(xapi_answer_version(req.get_header_value("X-Experience-API-Version"))));
  }
  auto done = [&](int status) { f.metrics.request_done("http", how.route, std::to_string(status), Clock::now() - started); };

  if (how.xapi && !is_plain_path(req.path)) {
    send_error(res, 400, core::ErrorCode::kInvalidArgument, "the path must not contain \".\" or \"..\" segments");
    done(400);
    return;
  }

  // The 1.0.3 alternate syntax may carry the credentials as a form field instead of a header; they
  // are taken out of the body so that the secret goes no further than the gateway.
  std::string authorization = req.get_header_value("Authorization");
  std::optional<std::string> stripped_body;
  if (how.xapi && authorization.empty() && req.method == "POST" &&
      is_form_content_type(req.get_header_value("Content-Type"))) {
    auto taken = take_form_field(req.body, "Authorization");
    if (taken.value) {
      authorization = *taken.value;
      stripped_body = std::move(taken.rest);
    }
  }

  std::optional<Principal> principal;
  if (!(how.xapi && is_public_xapi_path(req.path))) {
    // Read or write is decided from the same parse ingest executes (libs/http), never our own.
    const std::string policy_method =
        how.xapi ? std::string(xapi_policy_method(req.method, http::alternate_method(req).reads())) : how.policy_method;
    auto admitted = f.gate.admit(authorization, policy_method, req.remote_addr);
    if (auto* refusal = std::get_if<GateRefusal>(&admitted)) {
      const int status = http::http_status(refusal->error.code);
      nlohmann::json extra = nlohmann::json::object();
      std::string message = refusal->error.message;
      if (status == 401) res.set_header("WWW-Authenticate", "Basic realm=\"edfleet\", Bearer realm=\"edfleet\"");
      if (status == 403) {
        extra["needed_roles"] = refusal->needed_roles;
        if (how.xapi) message = "this credential may not " + std::string(xapi_action(policy_method)) + ": " + message;
      }
      if (refusal->retry_after.count() > 0) {
        res.set_header("Retry-After", std::to_string((refusal->retry_after.count() + 999) / 1000));
      }
      send_error(res, status, refusal->error.code, message, extra);
      done(status);
      return;
    }
    principal = std::get<Principal>(std::move(admitted));
  }
  if (address.empty()) {
    send_error(res, 503, core::ErrorCode::kUnavailable, "the upstream for " + how.route + " has no address configured");
    done(503);
    return;
  }
  if (!f.calls.try_acquire()) {
    f.metrics.rejected("too_many_streams");
    res.set_header("Retry-After", "1");
    send_error(res, 429, core::ErrorCode::kResourceExhausted,
               "too many concurrent calls through the gateway (limit " + std::to_string(f.calls.limit()) +
                   "); retry later");
    done(429);
    return;
  }
  f.metrics.active_streams().Increment();
  struct Slot {
    Forwarding& f;
    ~Slot() {
      f.calls.release();
      f.metrics.active_streams().Decrement();
    }
  } slot{f};

  httplib::Request upstream;
  upstream.method = req.method;
  upstream.path = how.xapi ? req.target : req.path;
  upstream.body = stripped_body ? std::move(*stripped_body) : req.body;
  for (const auto& [name, value] : req.headers) {
    // xAPI: an allow-list of what the LRS reads. Otherwise the client's own headers minus
    // internal and hop-by-hop ones (as for gRPC-Web). Never the client's x-edfleet-* headers.
    // The listener already refused values outside visible ASCII; checked again here because a
    // value with CR LF would end the header and write the client's own lines into this request.
    const bool pass = (how.xapi ? is_forwarded_xapi_request_header(name) : is_forwardable_header(name)) &&
                      http::is_safe_header_value(value);
    if (pass) upstream.headers.emplace(name, value);
  }
  if (!how.xapi) {
    std::string content_type = req.get_header_value("Content-Type");
    const bool usable = !content_type.empty() && http::is_safe_header_value(content_type);
    upstream.headers.emplace("Content-Type", usable ? content_type : "application/json");
  }
  if (principal) {
    // Signed, so that ingest can tell the gateway vouched for them (libs/identity).
    const identity::CallerIdentity caller{principal->tenant, principal->subject, principal->roles_text()};
    upstream.headers.emplace("X-Edfleet-Tenant", caller.tenant);
    upstream.headers.emplace("X-Edfleet-Principal", caller.principal);
    upstream.headers.emplace("X-Edfleet-Roles", caller.roles);
    upstream.headers.emplace("X-Edfleet-Identity", f.signer.sign(caller));
  }
  upstream.headers.emplace("traceparent", edfleet::grpc::format_traceparent(
                                              trace_id, core::RandomIdGenerator::instance().trace_id().substr(0, 16),
                                              parent ? parent->sampled() : true));
  auto& client = client_for(address, f.options.upstream_timeout);
  auto result = client.send(upstream);
  if (!result) {
    core::log::warn("http upstream failed", {{"route", how.route}, {"upstream", address},
                                             {"error", httplib::to_string(result.error())}});
    res.set_header("Retry-After", "1");
    send_error(res, 503, core::ErrorCode::kUnavailable,
               "the upstream for " + how.route + " is unavailable (" + httplib::to_string(result.error()) + ")");
    done(503);
    return;
  }
  res.status = result->status;
  for (const auto& [name, value] : result->headers) {
    const bool pass = how.xapi ? is_returned_xapi_response_header(name)
                               : name == "Retry-After" || name == "X-Edfleet-Trace-Id";
    if (pass) {
      if (res.has_header(name)) res.headers.erase(name);  // the upstream's value replaces the gateway's
      res.set_header(name, value);
    }
  }
  const std::string content_type = result->get_header_value("Content-Type");
  const std::uint64_t head_length =
      req.method == "HEAD" ? result->get_header_value<std::uint64_t>("Content-Length") : 0;
  if (head_length > 0) {
    // HEAD answers the length GET would have; httplib never calls the provider for HEAD.
    res.set_content_provider(static_cast<std::size_t>(head_length),
                             content_type.empty() ? "application/octet-stream" : content_type.c_str(),
                             [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
  } else if (!result->body.empty() || !content_type.empty()) {
    res.set_content(result->body, content_type.empty() ? "application/octet-stream" : content_type.c_str());
  }
  core::log::info("http request", {{"route", how.route}, {"method", req.method}, {"status", result->status},
                                   {"tenant", principal ? principal->tenant : ""},
                                   {"principal", principal ? principal->subject : ""},
                                   {"duration_ms", std::chrono::duration<double, std::milli>(Clock::now() - started).count()}});
  done(result->status);
}

}  // namespace

void add_address_limits(http::HardenedServer& server, RateLimiter& limiter, GatewayMetrics& metrics) {
  server.add_admission_check([&limiter, &metrics](const httplib::Request& req, httplib::Response& res) {
    const auto decision = limiter.admit_address(req.remote_addr);
    if (decision.allowed) return httplib::Server::HandlerResponse::Unhandled;
    metrics.rejected("rate_limited_" + decision.scope);
    res.set_header("Retry-After", std::to_string((decision.retry_after.count() + 999) / 1000));
    send_error(res, 429, core::ErrorCode::kResourceExhausted,
               decision.scope == "address" ? "too many requests from this address; retry later"
                                           : "too many failed authentications from this address; retry later");
    return httplib::Server::HandlerResponse::Handled;
  });
}

void add_http_routes(httplib::Server& server, httplib::Server& admin, const HttpRouteOptions& options,
                     RequestGate& gate, const CorsPolicy& cors, Upstreams& upstreams, GatewayMetrics& metrics,
                     ConcurrencyLimit& calls, const identity::IdentitySigner& signer) {
  auto forwarding = std::make_shared<Forwarding>(Forwarding{options, gate, cors, metrics, calls, signer});
  auto route = [forwarding](ForwardedRoute how, std::string address) {
    return [forwarding, how = std::move(how), address = std::move(address)](const httplib::Request& req,
                                                                              httplib::Response& res) {
      forward(*forwarding, how, address, req, res);
    };
  };

  server.Post("/v1/events", route({"/v1/events", "/edfleet.ingest.v1.IngestService/Publish", false},
                                  options.ingest_http_address));
  // Every xAPI path and method (HEAD is served by the GET handler with req.method "HEAD").
  const auto xapi = route({"/xapi", "", true}, options.ingest_http_address);
  const std::string xapi_paths = R"(/xapi(/.*)?)";
  server.Get(xapi_paths, xapi);
  server.Post(xapi_paths, xapi);
  server.Put(xapi_paths, xapi);
  server.Patch(xapi_paths, xapi);
  server.Delete(xapi_paths, xapi);

  // Readiness names every upstream and its state: an operator's view, on the admin listener.
  admin.Get("/readyz", [&upstreams, options](const httplib::Request&, httplib::Response& res) {
    // Every configured upstream at once, each with its own deadline, so /readyz answers within one.
    std::vector<std::pair<std::string, std::future<std::string>>> checks;
    for (const auto& name : upstreams.names()) {
      auto channel = upstreams.channel(name);
      if (!channel) {
        std::promise<std::string> none;
        none.set_value("NOT_CONFIGURED");
        checks.emplace_back(name, none.get_future());
        continue;
      }
      checks.emplace_back(name, std::async(std::launch::async, [channel, timeout = options.readiness_timeout] {
                            auto health = edfleet::grpc::check_health(channel, {}, timeout);
                            if (health.serving_ok()) return std::string("SERVING");
                            if (!health.status.ok()) {
                              return std::string(edfleet::grpc::status_code_name(health.status.error_code()));
                            }
                            return std::string("NOT_SERVING");
                          }));
    }
    nlohmann::json upstream_states = nlohmann::json::object();
    bool ready = true;
    for (auto& [name, check] : checks) {
      const std::string state = check.get();
      upstream_states[name] = state;
      // An upstream left without an address is not part of this deployment.
      if (state != "SERVING" && state != "NOT_CONFIGURED") ready = false;
    }
    res.status = ready ? 200 : 503;
    res.set_content(nlohmann::json{{"ready", ready}, {"upstreams", upstream_states}}.dump(), "application/json");
  });

  server.Options(R"(.*)", [&cors](const httplib::Request& req, httplib::Response& res) {
    const std::string_view methods = is_xapi_path(req.path) ? kXapiMethods : kPostMethods;
    const std::string origin = req.get_header_value("Origin");
    if (origin.empty() || !req.has_header("Access-Control-Request-Method")) {
      res.status = 204;
      res.set_header("Allow", std::string(methods));
      return;
    }
    auto headers = cors.preflight_headers(origin, req.get_header_value("Access-Control-Request-Headers"), methods);
    if (headers.empty()) {
      res.status = 403;
      res.set_content("origin not allowed\n", "text/plain; charset=utf-8");
      return;
    }
    res.status = 204;
    for (const auto& [name, value] : headers) res.set_header(name, value);
  });

  if (!options.static_dir.empty()) {
    if (!std::filesystem::is_directory(options.static_dir)) {
      throw std::invalid_argument("static.dir " + options.static_dir + " is not a directory");
    }
    if (!server.set_mount_point(options.static_prefix, options.static_dir)) {
      throw std::invalid_argument("cannot serve static files from " + options.static_dir);
    }
  }
}

}  // namespace edfleet::gateway
