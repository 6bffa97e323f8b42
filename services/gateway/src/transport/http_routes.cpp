#include "transport/http_routes.h"

#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "domain/metadata_policy.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/log.h"
#include "edfleet/grpc/health_client.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"

namespace edfleet::gateway {
namespace {

using Clock = std::chrono::steady_clock;

// The HTTP status for a gateway refusal.
int http_status(core::ErrorCode code) {
  switch (code) {
    case core::ErrorCode::kUnauthenticated: return 401;
    case core::ErrorCode::kPermissionDenied: return 403;
    case core::ErrorCode::kResourceExhausted: return 429;
    case core::ErrorCode::kUnavailable: return 503;
    case core::ErrorCode::kInvalidArgument: return 400;
    default: return 500;
  }
}

// {"error": {"code": "UNAUTHENTICATED", "message": "..."}}, with gRPC code names like ingest's errors.
void send_error(httplib::Response& res, int status, core::ErrorCode code, const std::string& message) {
  nlohmann::json body = {
      {"error", {{"code", edfleet::grpc::status_code_name(edfleet::grpc::to_status_code(code))}, {"message", message}}}};
  res.status = status;
  res.set_content(body.dump(), "application/json");
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
  }
  return *client;
}

}  // namespace

void add_http_routes(httplib::Server& server, const HttpRouteOptions& options, RequestGate& gate,
                     const CorsPolicy& cors, Upstreams& upstreams, GatewayMetrics& metrics) {
  // Authenticated forwarding of an HTTP request to an upstream's HTTP API, checked as `method`.
  auto forward = [&gate, &cors, &metrics, options](const std::string& route, const std::string& method,
                                                    const std::string& address) {
    return [&gate, &cors, &metrics, options, route, method, address](const httplib::Request& req,
                                                                       httplib::Response& res) {
      const auto started = Clock::now();
      for (const auto& [name, value] : cors.response_headers(req.get_header_value("Origin"))) res.set_header(name, value);
      auto parent = edfleet::grpc::parse_traceparent(req.get_header_value("traceparent"));
      const std::string trace_id = parent ? parent->trace_id : core::RandomIdGenerator::instance().trace_id();
      core::log::TraceScope trace(trace_id);
      auto done = [&](const std::string& code) { metrics.request_done("http", route, code, Clock::now() - started); };

      auto admitted = gate.admit(req.get_header_value("Authorization"), method);
      if (auto* refusal = std::get_if<GateRefusal>(&admitted)) {
        const int status = http_status(refusal->error.code);
        if (status == 401) res.set_header("WWW-Authenticate", "Basic realm=\"edfleet\", Bearer realm=\"edfleet\"");
        if (refusal->retry_after.count() > 0) {
          res.set_header("Retry-After", std::to_string((refusal->retry_after.count() + 999) / 1000));
        }
        res.set_header("X-Edfleet-Trace-Id", trace_id);
        send_error(res, status, refusal->error.code, refusal->error.message);
        done(std::to_string(status));
        return;
      }
      const auto& principal = std::get<Principal>(admitted);
      if (address.empty()) {
        send_error(res, 503, core::ErrorCode::kUnavailable, "the upstream for " + route + " has no address configured");
        done("503");
        return;
      }
      httplib::Headers headers;
      for (const auto& [name, value] : req.headers) {
        // The client's own headers, minus internal and hop-by-hop ones (as for gRPC-Web).
        if (is_forwardable_header(name) && is_valid_ascii_metadata_value(value)) headers.emplace(name, value);
      }
      headers.emplace("X-Edfleet-Tenant", principal.tenant);
      headers.emplace("X-Edfleet-Principal", principal.subject);
      headers.emplace("X-Edfleet-Roles", principal.roles_text());
      headers.emplace("traceparent", edfleet::grpc::format_traceparent(
                                         trace_id, core::RandomIdGenerator::instance().trace_id().substr(0, 16),
                                         parent ? parent->sampled() : true));
      std::string content_type = req.get_header_value("Content-Type");
      if (content_type.empty()) content_type = "application/json";
      auto& client = client_for(address, options.upstream_timeout);
      auto result = client.Post(req.path, headers, req.body, content_type);
      if (!result) {
        core::log::warn("http upstream failed", {{"route", route}, {"upstream", address},
                                                 {"error", httplib::to_string(result.error())}});
        res.set_header("Retry-After", "1");
        send_error(res, 503, core::ErrorCode::kUnavailable,
                   "the upstream for " + route + " is unavailable (" + httplib::to_string(result.error()) + ")");
        done("503");
        return;
      }
      res.status = result->status;
      for (const char* name : {"Retry-After", "X-Edfleet-Trace-Id"}) {
        if (result->has_header(name)) res.set_header(name, result->get_header_value(name));
      }
      if (!res.has_header("X-Edfleet-Trace-Id")) res.set_header("X-Edfleet-Trace-Id", trace_id);
      res.set_content(result->body, result->get_header_value("Content-Type").c_str());
      core::log::info("http request", {{"route", route}, {"status", result->status}, {"tenant", principal.tenant},
                                       {"principal", principal.subject},
                                       {"duration_ms", std::chrono::duration<double, std::milli>(Clock::now() - started).count()}});
      done(std::to_string(result->status));
    };
  };

  server.Post("/v1/events", forward("/v1/events", "/edfleet.ingest.v1.IngestService/Publish", options.ingest_http_address));

  server.Get("/readyz", [&upstreams, options](const httplib::Request&, httplib::Response& res) {
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
    const std::string origin = req.get_header_value("Origin");
    if (origin.empty() || !req.has_header("Access-Control-Request-Method")) {
      res.status = 204;
      res.set_header("Allow", "POST, OPTIONS");
      return;
    }
    auto headers = cors.preflight_headers(origin, req.get_header_value("Access-Control-Request-Headers"));
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
