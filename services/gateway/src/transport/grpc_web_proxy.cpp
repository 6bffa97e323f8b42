#include "transport/grpc_web_proxy.h"

#include <algorithm>

#include <grpcpp/generic/generic_stub.h>

#include "domain/access_policy.h"
#include "edfleet/core/base64.h"
#include "domain/grpc_web.h"
#include "domain/metadata_policy.h"
#include "edfleet/core/log.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"
#include "transport/client_socket.h"
#include "transport/upstream_call.h"

namespace edfleet::gateway {
namespace log = core::log;

namespace {

using Clock = std::chrono::steady_clock;

// Response metadata from the upstream as HTTP headers / trailer lines: reserved keys dropped,
// binary values base64-encoded (in text mode too: both official clients expect it, as Envoy sends).
void add_metadata(HeaderList& out, const MetadataList& metadata) {
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key[0] == ':' || key == "content-type" || key == "grpc-status" || key == "grpc-message" ||
        key == "grpc-status-details-bin" || key == "te" || key == "content-length" || key == "transfer-encoding") {
      continue;
    }
    if (key.ends_with("-bin")) {
      out.emplace_back(key, core::base64_encode(value));
    } else if (is_valid_ascii_metadata_value(value)) {
      out.emplace_back(key, value);
    }
  }
}

std::string new_span_id(core::IdGenerator& ids) { return ids.trace_id().substr(0, 16); }

}  // namespace

std::string code_name(int grpc_code) {
  return std::string(edfleet::grpc::status_code_name(static_cast<::grpc::StatusCode>(grpc_code)));
}

// One gRPC-Web request from arrival to the end of its response.
struct GrpcWebProxy::Exchange {
  Clock::time_point started = Clock::now();
  std::string path;
  std::string service;
  std::string trace_id;
  std::string tenant;
  std::string principal;
  bool text = false;
  std::string content_type;
  std::shared_ptr<UpstreamCall> call;
  std::unique_ptr<ClientConnection> connection;
  std::size_t messages = 0;
  bool counted = false;  // holds a concurrency slot
  std::atomic<bool> finished{false};
};

GrpcWebProxy::GrpcWebProxy(ProxyOptions options, std::map<std::string, std::string> routes, Upstreams& upstreams,
                           RequestGate& gate, const CorsPolicy& cors, GatewayMetrics& metrics,
                           ConcurrencyLimit& calls, core::IdGenerator& ids, const identity::IdentitySigner& signer)
    : options_(std::move(options)),
      routes_(std::move(routes)),
      upstreams_(upstreams),
      gate_(gate),
      cors_(cors),
      metrics_(metrics),
      calls_limit_(calls),
      ids_(ids),
      signer_(signer) {}

GrpcWebProxy::~GrpcWebProxy() { stop(); }

void GrpcWebProxy::add_routes(httplib::Server& server) {
  // Dotted service names only, so plain HTTP routes (/v1/events, /xapi/...) never match.
  // parse_method_path validates the path; the pattern only needs to be cheap to match.
  server.Post(R"(/[^/]+\.[^/]+/[^/]+)",
              [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
}

bool GrpcWebProxy::is_stream_method(const std::string& method) const {
  return std::any_of(options_.stream_methods.begin(), options_.stream_methods.end(),
                     [&](const std::string& pattern) { return method_matches(pattern, method); });
}

void GrpcWebProxy::stop() {
  stopping_ = true;
  std::vector<std::shared_ptr<UpstreamCall>> calls;
  {
    std::lock_guard lock(calls_mutex_);
    for (const auto& [ptr, call] : calls_) calls.push_back(call);
  }
  for (const auto& call : calls) call->cancel();
}

void GrpcWebProxy::finish(Exchange& exchange, const std::string& code) {
  if (exchange.finished.exchange(true)) return;
  if (exchange.counted) {
    calls_limit_.release();
    metrics_.active_streams().Decrement();
  }
  if (exchange.call) {
    std::lock_guard lock(calls_mutex_);
    calls_.erase(exchange.call.get());
  }
  const auto elapsed = Clock::now() - exchange.started;
  metrics_.request_done("grpc_web", exchange.service.empty() ? "unrouted" : exchange.service, code, elapsed);
  log::TraceScope trace(exchange.trace_id);
  log::info("grpc-web call", {{"method", exchange.path},
                              {"code", code},
                              {"duration_ms", std::chrono::duration<double, std::milli>(elapsed).count()},
                              {"mode", exchange.text ? "text" : "binary"},
                              {"messages", exchange.messages},
                              {"tenant", exchange.tenant},
                              {"principal", exchange.principal}});
}

void GrpcWebProxy::handle(const httplib::Request& req, httplib::Response& res) {
  auto exchange = std::make_shared<Exchange>();
  exchange->path = req.path;

  // Trace context: continue the caller's trace with a new span, or start one.
  auto parent = edfleet::grpc::parse_traceparent(req.get_header_value("traceparent"));
  exchange->trace_id = parent ? parent->trace_id : ids_.trace_id();
  const std::string traceparent =
      edfleet::grpc::format_traceparent(exchange->trace_id, new_span_id(ids_), parent ? parent->sampled() : true);
  log::TraceScope trace(exchange->trace_id);

  const HeaderList cors = cors_.response_headers(req.get_header_value("Origin"));
  for (const auto& [name, value] : cors) res.set_header(name, value);
  res.set_header("X-Edfleet-Trace-Id", exchange->trace_id);

  auto content_type = parse_web_content_type(req.get_header_value("Content-Type"));
  if (!content_type) {
    metrics_.rejected("unsupported_content_type");
    res.status = 415;
    res.set_content("gRPC-Web requests must be application/grpc-web(+proto) or application/grpc-web-text(+proto)\n",
                    "text/plain; charset=utf-8");
    finish(*exchange, "415");
    return;
  }
  // Text responses when the request is text, or when the client asks for them (Accept).
  exchange->text = content_type->text ||
                   req.get_header_value("Accept").find("application/grpc-web-text") != std::string::npos;
  exchange->content_type = exchange->text ? "application/grpc-web-text+proto" : content_type->content_type;

  // Ends the exchange with a trailers-only response.
  auto refuse = [&](::grpc::StatusCode code, const std::string& message, const MetadataList& metadata = {},
                    std::chrono::milliseconds retry_after = std::chrono::milliseconds(0)) {
    res.status = 200;
    res.set_header("grpc-status", std::to_string(static_cast<int>(code)));
    if (!message.empty()) res.set_header("grpc-message", percent_encode_grpc_message(message));
    HeaderList extra;
    add_metadata(extra, metadata);
    for (const auto& [name, value] : extra) res.set_header(name, value);
    if (retry_after.count() > 0) {
      res.set_header("retry-after", std::to_string((retry_after.count() + 999) / 1000));
    }
    res.set_content("", exchange->content_type.c_str());
    finish(*exchange, code_name(code));
  };

  if (stopping_) {
    refuse(::grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down; retry");
    return;
  }

  auto admitted = gate_.admit(req.get_header_value("Authorization"), req.path, req.remote_addr);
  if (auto* refusal = std::get_if<GateRefusal>(&admitted)) {
    refuse(edfleet::grpc::to_status_code(refusal->error.code), refusal->error.message, {}, refusal->retry_after);
    return;
  }
  const Principal principal = std::get<Principal>(std::move(admitted));
  exchange->tenant = principal.tenant;
  exchange->principal = principal.subject;

  auto method = parse_method_path(req.path);
  auto route = method ? routes_.find(method->service) : routes_.end();
  if (route == routes_.end()) {
    metrics_.rejected("unknown_service");
    refuse(::grpc::StatusCode::UNIMPLEMENTED, "unknown service " + (method ? method->service : req.path) +
                                                  ": the gateway has no route for it");
    return;
  }
  exchange->service = method->service;
  auto channel = upstreams_.channel(route->second);
  if (!channel) {
    metrics_.rejected("upstream_not_configured");
    refuse(::grpc::StatusCode::UNAVAILABLE, "upstream '" + route->second + "' for " + method->service +
                                                " has no address configured");
    return;
  }

  if (!calls_limit_.try_acquire()) {
    metrics_.rejected("too_many_streams");
    refuse(::grpc::StatusCode::RESOURCE_EXHAUSTED,
           "too many concurrent calls through the gateway (limit " + std::to_string(options_.max_concurrent_streams) +
               "); retry later",
           {}, std::chrono::milliseconds(1000));
    return;
  }
  exchange->counted = true;
  metrics_.active_streams().Increment();

  // The request body: base64 (text mode) decoded chunk by chunk, then the frames.
  std::vector<Frame> frames;
  {
    FrameParser parser(options_.max_message_bytes);
    core::Result<void> parsed;
    if (content_type->text) {
      core::Base64StreamDecoder decoder;
      std::string bytes;
      constexpr std::size_t kChunk = 16 * 1024;
      for (std::size_t at = 0; parsed.ok() && at < req.body.size(); at += kChunk) {
        bytes.clear();
        parsed = decoder.feed(std::string_view(req.body).substr(at, kChunk), bytes);
        if (parsed.ok()) parsed = parser.feed(bytes, frames);
      }
      if (parsed.ok()) {
        bytes.clear();
        parsed = decoder.finish(bytes);
        if (parsed.ok()) parsed = parser.feed(bytes, frames);
      }
      if (!parsed.ok() && parsed.error().code == core::ErrorCode::kInvalidArgument) {
        parsed = core::Error{core::ErrorCode::kInternal, "malformed gRPC-Web text body: " + parsed.error().message, {}};
      }
    } else {
      parsed = parser.feed(req.body, frames);
    }
    if (parsed.ok()) parsed = parser.finish();
    if (!parsed.ok()) {
      metrics_.rejected("malformed_request");
      refuse(edfleet::grpc::to_status_code(parsed.error().code), parsed.error().message);
      return;
    }
  }

  auto call = std::make_shared<UpstreamCall>();
  auto& context = call->context();
  // The deadline: the client's (capped, except for long-lived streams), else the default.
  const bool stream_method = is_stream_method(req.path);
  auto client_timeout = parse_grpc_timeout(req.get_header_value("grpc-timeout"));
  if (client_timeout) {
    auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(*client_timeout);
    if (!stream_method) timeout = std::min(timeout, std::chrono::nanoseconds(options_.max_timeout));
    context.set_deadline(std::chrono::system_clock::now() + timeout);
  } else if (!stream_method) {
    context.set_deadline(std::chrono::system_clock::now() + options_.default_timeout);
  }
  // The client's own metadata, minus what must not cross the trust boundary.
  for (const auto& [name, value] : req.headers) {
    if (!is_forwardable_header(name)) continue;
    std::string key = name;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    if (key.ends_with("-bin")) {
      if (auto decoded = core::base64_decode(value)) context.AddMetadata(key, *decoded);
    } else if (is_valid_ascii_metadata_value(value)) {
      context.AddMetadata(key, value);
    }
  }
  // Signed, so the upstream can tell the gateway vouched for it (libs/identity).
  edfleet::grpc::set_caller(context, signer_, {principal.tenant, principal.subject, principal.roles_text()});
  edfleet::grpc::set_traceparent(context, traceparent);
  if (route->second == kSelfUpstream) {
    // GatewayAdmin on the gateway's own port authenticates the caller again.
    context.AddMetadata("authorization", req.get_header_value("Authorization"));
  }

  std::vector<std::string> requests;
  requests.reserve(frames.size());
  for (auto& frame : frames) requests.push_back(std::move(frame.payload));
  {
    std::lock_guard lock(calls_mutex_);
    calls_[call.get()] = call;
  }
  exchange->call = call;
  exchange->connection = std::make_unique<ClientConnection>(req.local_port, req.remote_addr, req.remote_port);
  ::grpc::GenericStub stub(channel);
  call->start(stub, "/" + method->service + "/" + method->method, std::move(requests));
  if (stopping_) call->cancel();  // stop() may have run before the call was registered

  // Most calls are unary and end within a few milliseconds: wait for that end alone first.
  if (!stream_method) call->wait_done(options_.unary_wait);
  // Wait for the response to begin: headers, a message or the end. Long waits check the client.
  auto client_left = [&] {
    if (stopping_) {
      call->cancel();
      return false;
    }
    if (exchange->connection->gone()) {
      call->cancel();
      return true;
    }
    return false;
  };
  while (!call->wait_for_headers(options_.client_check_interval)) {
    if (client_left()) break;
  }
  // Headers without a message yet: give the message (or an error) a moment, so that an error
  // still becomes a trailers-only response and a unary answer goes out in one piece.
  if (!call->has_message() && !call->done()) call->wait(options_.header_wait);

  if (call->done() && !call->has_message()) {
    auto batch = call->take();
    ::grpc::Status status = batch.status;
    if (stopping_ && status.error_code() == ::grpc::StatusCode::CANCELLED) {
      status = ::grpc::Status(::grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down; retry");
    }
    MetadataList metadata = call->initial_metadata();
    metadata.insert(metadata.end(), batch.trailers.begin(), batch.trailers.end());
    if (!status.error_details().empty()) metadata.emplace_back("grpc-status-details-bin", status.error_details());
    for (const auto& [key, value] : metadata) {
      if (key == "grpc-status-details-bin") res.set_header(key, core::base64_encode(value));
    }
    refuse(status.error_code(), status.error_message(), metadata);
    return;
  }

  res.status = 200;
  HeaderList headers;
  add_metadata(headers, call->initial_metadata());
  for (const auto& [name, value] : headers) res.set_header(name, value);

  // Unary answers (the message, then the end right behind it) go out as one response.
  if (!stream_method && call->wait_done(std::chrono::microseconds(1000))) {
    auto batch = call->take();
    std::string body;
    for (const auto& message : batch.messages) append_frame(body, 0, message);
    exchange->messages = batch.messages.size();
    for (std::size_t i = 0; i < batch.messages.size(); ++i) metrics_.message_sent();
    HeaderList trailers;
    add_metadata(trailers, batch.trailers);
    if (!batch.status.error_details().empty()) {
      trailers.emplace_back("grpc-status-details-bin", core::base64_encode(batch.status.error_details()));
    }
    body += encode_trailer_frame(static_cast<int>(batch.status.error_code()), batch.status.error_message(), trailers);
    res.set_content(exchange->text ? core::base64_encode(body) : body, exchange->content_type.c_str());
    finish(*exchange, code_name(batch.status.error_code()));
    return;
  }

  // A streamed response: headers now, then each message as it arrives, the trailer frame last.

  auto provider = [this, exchange](std::size_t, httplib::DataSink& sink) -> bool {
    log::TraceScope scope(exchange->trace_id);
    auto& upstream = *exchange->call;
    while (!upstream.wait(options_.client_check_interval)) {
      if (stopping_) {
        upstream.cancel();  // the end (CANCELLED) arrives shortly and is sent as UNAVAILABLE
      } else if (exchange->connection->gone()) {
        upstream.cancel();
        finish(*exchange, "CANCELLED");
        return false;
      }
    }
    auto batch = upstream.take();
    std::string out;
    for (const auto& message : batch.messages) append_frame(out, 0, message);
    exchange->messages += batch.messages.size();
    for (std::size_t i = 0; i < batch.messages.size(); ++i) metrics_.message_sent();
    std::string code;
    if (batch.done) {
      ::grpc::Status status = batch.status;
      if (stopping_ && status.error_code() == ::grpc::StatusCode::CANCELLED) {
        status = ::grpc::Status(::grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down; retry");
      }
      HeaderList trailers;
      add_metadata(trailers, batch.trailers);
      if (!status.error_details().empty()) {
        trailers.emplace_back("grpc-status-details-bin", core::base64_encode(status.error_details()));
      }
      out += encode_trailer_frame(static_cast<int>(status.error_code()), status.error_message(), trailers);
      code = code_name(status.error_code());
    }
    if (!out.empty()) {
      // Text mode: each flush is base64-encoded on its own (padding may end up mid-stream).
      if (exchange->text) out = core::base64_encode(out);
      if (!sink.write(out.data(), out.size())) {
        upstream.cancel();
        finish(*exchange, "CANCELLED");
        return false;
      }
    }
    if (batch.done) {
      sink.done();
      finish(*exchange, code);
    }
    return true;
  };
  auto releaser = [this, exchange](bool) {
    if (!exchange->finished) {
      exchange->call->cancel();
      finish(*exchange, "CANCELLED");
    }
  };
  res.set_chunked_content_provider(exchange->content_type, std::move(provider), std::move(releaser));
}

}  // namespace edfleet::gateway
