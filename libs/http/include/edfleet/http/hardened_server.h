// HardenedServer: cpp-httplib's server with the limits a listener facing untrusted clients needs,
// enforced before any route (or authentication) runs.
//
// cpp-httplib 0.11.4 on its own reads chunked and length-less bodies whole and without bound, skips
// an oversized Content-Length body by reading all of it, bounds neither the number of header lines
// nor the time a request may take to arrive (each recv() has a timeout, so one byte every few
// seconds holds a worker thread for ever), and lets one address hold every worker. This class
// replaces its per-connection loop (process_and_close_socket) with one that reads through a guarded
// stream:
// - a request's line and headers may take at most `max_header_bytes` (431) and `header_timeout` (408);
// - its body at most what Content-Length says (a Content-Length over `max_body_bytes` is 413 without
//   reading it), a chunked body at most `max_body_bytes` plus framing; a body-less request without
//   Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3), instead of "read until close";
// - the whole request must arrive within `request_timeout` (408);
// - at most `max_connections_per_address` connections per client address are served at once (more
//   are answered 503 and closed at once, so one address cannot hold every worker thread);
// and, before routing, gives every answer a Date header (RFC 9110 §6.6.1), and refuses header values that are not visible ASCII (CR LF injection, 400), more
// than `max_header_count` headers (431), a Transfer-Encoding other than chunked (501), and
// Transfer-Encoding together with Content-Length (400, a request-smuggling shape).
// Services add their own checks (rate limits per address...) with add_admission_check(); never call
// set_pre_routing_handler() on it, which would replace the built-in checks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <httplib.h>

namespace edfleet::http {

// The limits, all configurable per service (see ListenerLimits in each config.yaml).
struct ListenerLimits {
  std::size_t max_header_bytes = 64 * 1024;  // request line + header lines, per request
  std::size_t max_header_count = 100;
  std::chrono::milliseconds header_timeout{10000};   // first byte of a request to its last header byte
  std::chrono::milliseconds request_timeout{60000};  // first byte of a request to its last body byte
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_connections_per_address = 64;  // 0 = no limit
};

// Why a listener refused a connection or request before routing.
enum class Refusal {
  kConnectionsPerAddress,  // over max_connections_per_address (503)
  kTimeout,                // 408
  kHeadersTooLarge,        // 431
  kBodyTooLarge,           // 413, or a chunked body cut off
  kMalformed,              // 400/501 from the pre-routing checks
};
// "connections_per_address", "timeout", "headers_too_large", "body_too_large", "malformed".
std::string_view refusal_name(Refusal refusal);

// Counts of what the guards refused; `observer` (set before listening) also hears of each one, so a
// service can export them as metrics.
struct ListenerCounters {
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> requests_timed_out{0};
  std::atomic<std::uint64_t> headers_too_large{0};
  std::atomic<std::uint64_t> bodies_too_large{0};
  std::atomic<std::uint64_t> malformed_requests{0};
  std::function<void(Refusal)> observer;

  void count(Refusal refusal);
};

class HardenedServer : public httplib::Server {
 public:
  explicit HardenedServer(ListenerLimits limits = {});

  // Replaces the limits; call before the server listens. Also sets httplib's payload limit.
  void set_limits(const ListenerLimits& limits);
  const ListenerLimits& limits() const { return limits_; }
  // The body limit alone (max_body_bytes). Hides httplib's setter so that both stay one value.
  void set_payload_max_length(std::size_t length);
  const ListenerCounters& counters() const { return counters_; }
  // Called for every refusal (from worker threads); set before the server listens.
  void on_refusal(std::function<void(Refusal)> observer) { counters_.observer = std::move(observer); }

  // A check run before routing, after the built-in ones, in the order added; a check that answers
  // (returns Handled) ends the request there. Add them before the server listens.
  void add_admission_check(HandlerWithResponse check);

  // Connections currently served for `address` (tests and metrics).
  std::size_t connections_from(const std::string& address) const;

 private:
  bool process_and_close_socket(socket_t sock) override;
  HandlerResponse admit(const httplib::Request& req, httplib::Response& res);
  bool wait_for_request(socket_t sock, bool first) const;

  ListenerLimits limits_;
  ListenerCounters counters_;
  std::vector<HandlerWithResponse> checks_;
  mutable std::mutex connections_mutex_;
  std::map<std::string, std::size_t> connections_;
};

}  // namespace edfleet::http
