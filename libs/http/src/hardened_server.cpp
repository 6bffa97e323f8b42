#include "edfleet/http/hardened_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "edfleet/http/date.h"
#include "edfleet/http/header_values.h"

namespace edfleet::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How often a wait wakes up to see whether the server is stopping.
constexpr std::chrono::milliseconds kStopCheckInterval{50};

std::string address_text(const sockaddr_storage& address, int& port) {
  char text[INET6_ADDRSTRLEN] = {0};
  port = 0;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  return text;
}

std::string peer_address(int sock, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    port = 0;
    return {};
  }
  return address_text(address, port);
}

// Waits until `sock` is ready for `events`, at most until `until`, waking every kStopCheckInterval
// to give up once `stopping()` says so. True when ready.
template <typename Stopping>
bool wait_ready(int sock, short events, SteadyClock::time_point until, Stopping&& stopping) {
  for (;;) {
    const auto now = SteadyClock::now();
    if (now >= until || stopping()) return false;
    const auto slice = std::min<SteadyClock::duration>(until - now, kStopCheckInterval);
    pollfd watch{sock, events, 0};
    const int ready = ::poll(&watch, 1,
                             static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

bool send_all(int sock, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(sock, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

// A complete answer written straight to the socket, for refusals made while reading the request
// (httplib has no response of its own to send then). The connection is closed afterwards.
std::string direct_answer(int status, std::string_view reason, std::string_view message,
                          std::string_view extra_headers = {}) {
  const std::string body = "{\"error\":{\"code\":\"" + std::string(status == 408   ? "DEADLINE_EXCEEDED"
                                                                     : status == 503 ? "UNAVAILABLE"
                                                                                     : "RESOURCE_EXHAUSTED") +
                           "\",\"message\":\"" + std::string(message) + "\"}}";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\nDate: " +
         imf_fixdate(std::chrono::system_clock::now()) +
         "\r\nConnection: close\r\nContent-Type: application/json\r\n" + std::string(extra_headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The stream httplib reads a connection's requests from and writes its answers to. It buffers what
// it receives but counts only what it hands to httplib against the current request's budget, so
// bytes of a pipelined next request never count for this one.
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(int sock, const ListenerLimits& limits, ListenerCounters& counters,
                std::chrono::microseconds read_timeout, std::chrono::microseconds write_timeout,
                const std::atomic<socket_t>& server_socket)
      : sock_(sock),
        limits_(limits),
        counters_(counters),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        server_socket_(server_socket) {}

  // A new request starts: its line and headers get the header budget and deadline.
  void begin_request() {
    phase_ = Phase::kHeaders;
    started_ = SteadyClock::now();
    deadline_ = started_ + limits_.header_timeout;
    budget_ = limits_.max_header_bytes;
  }

  // The headers are in: the body gets what its framing announces, within the request deadline.
  void begin_body(const httplib::Request& req) {
    phase_ = Phase::kBody;
    deadline_ = started_ + limits_.request_timeout;
    refuse_body_ = false;
    if (req.has_header("Transfer-Encoding")) {
      // Framing costs bytes too; a legitimate client's chunks are large, so a quarter more suffices.
      budget_ = limits_.max_body_bytes + limits_.max_body_bytes / 4 + 64 * 1024;
      chunked_ = true;
    } else if (req.has_header("Content-Length")) {
      const auto length = req.get_header_value<std::uint64_t>("Content-Length");
      chunked_ = false;
      if (length > limits_.max_body_bytes) {
        // httplib answers 413 and would read the whole body to skip it: let it read nothing.
        budget_ = 0;
        refuse_body_ = true;
        counters_.count(Refusal::kBodyTooLarge);
      } else {
        budget_ = static_cast<std::size_t>(length);
      }
    } else {
      // No framing: no body (RFC 9112 §6.3), where httplib would read until the client closes.
      budget_ = 0;
      chunked_ = false;
    }
  }

  // True once the connection must not serve another request (a refusal, a cut-off body).
  bool spoiled() const { return spoiled_; }

  bool is_readable() const override {
    if (buffered() > 0) return true;
    return wait_ready(sock_, POLLIN, read_until(), [this] { return stopping(); });
  }

  // Writes finish even while the server stops (a response in progress, e.g. the last frames of a
  // stream being ended, must reach its client); the write timeout bounds them.
  bool is_writable() const override {
    return !answered_ && wait_ready(sock_, POLLOUT, SteadyClock::now() + write_timeout_, [] { return false; });
  }

  ssize_t read(char* ptr, std::size_t size) override {
    if (answered_) return -1;
    if (budget_ == 0) return refuse_read();
    size = std::min(size, budget_);
    if (buffered() == 0) {
      if (!wait_ready(sock_, POLLIN, read_until(), [this] { return stopping(); })) return timed_out();
      ssize_t received;
      do {
        received = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
      } while (received < 0 && errno == EINTR);
      if (received <= 0) return received;
      buffer_begin_ = 0;
      buffer_end_ = static_cast<std::size_t>(received);
    }
    const std::size_t taken = std::min(size, buffered());
    std::memcpy(ptr, buffer_.data() + buffer_begin_, taken);
    buffer_begin_ += taken;
    budget_ -= taken;
    return static_cast<ssize_t>(taken);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (answered_) return -1;  // this stream already answered the request itself
    std::size_t written = 0;
    while (written < size) {
      if (!wait_ready(sock_, POLLOUT, SteadyClock::now() + write_timeout_, [] { return false; })) return -1;
      const ssize_t sent = ::send(sock_, ptr + written, size - written, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return -1;
      written += static_cast<std::size_t>(sent);
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = peer_address(sock_, port); }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ip.clear();
      port = 0;
      return;
    }
    ip = address_text(address, port);
  }

  socket_t socket() const override { return sock_; }

 private:
  enum class Phase { kHeaders, kBody };

  std::size_t buffered() const { return buffer_end_ - buffer_begin_; }
  bool stopping() const { return server_socket_.load() == INVALID_SOCKET; }
  SteadyClock::time_point read_until() const { return std::min(deadline_, SteadyClock::now() + read_timeout_); }

  // The budget is spent: headers too large (431), a body longer than announced or allowed.
  ssize_t refuse_read() {
    spoiled_ = true;
    if (phase_ == Phase::kHeaders) {
      counters_.count(Refusal::kHeadersTooLarge);
      answer(direct_answer(431, "Request Header Fields Too Large",
                           "the request line and headers exceed " + std::to_string(limits_.max_header_bytes) +
                               " bytes"));
      return -1;
    }
    if (chunked_) {
      counters_.count(Refusal::kBodyTooLarge);
      answer(direct_answer(413, "Payload Too Large",
                           "the chunked body exceeds " + std::to_string(limits_.max_body_bytes) + " bytes"));
      return -1;
    }
    // Content-Length framing: the body is complete (0 = end of body) unless it was refused outright.
    return refuse_body_ ? -1 : 0;
  }

  // No byte came before the deadline (408), or the read timeout passed, or the server is stopping.
  ssize_t timed_out() {
    spoiled_ = true;
    if (!stopping() && SteadyClock::now() >= deadline_) {
      counters_.count(Refusal::kTimeout);
      answer(direct_answer(408, "Request Timeout",
                           phase_ == Phase::kHeaders ? "the request headers did not arrive in time"
                                                     : "the request body did not arrive in time"));
    }
    return -1;
  }

  void answer(const std::string& bytes) {
    if (answered_) return;
    answered_ = true;
    send_all(sock_, bytes);
  }

  int sock_;
  const ListenerLimits& limits_;
  ListenerCounters& counters_;
  std::chrono::microseconds read_timeout_;
  std::chrono::microseconds write_timeout_;
  const std::atomic<socket_t>& server_socket_;
  std::array<char, 16 * 1024> buffer_{};
  std::size_t buffer_begin_ = 0;
  std::size_t buffer_end_ = 0;
  Phase phase_ = Phase::kHeaders;
  SteadyClock::time_point started_{};
  SteadyClock::time_point deadline_{};
  std::size_t budget_ = 0;
  bool chunked_ = false;
  bool refuse_body_ = false;
  bool spoiled_ = false;
  bool answered_ = false;
};

void refuse(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_header("Connection", "close");
  res.set_content(R"({"error":{"code":"INVALID_ARGUMENT","message":")" + message + "\"}}", "application/json");
}

}  // namespace

std::string_view refusal_name(Refusal refusal) {
  switch (refusal) {
    case Refusal::kConnectionsPerAddress: return "connections_per_address";
    case Refusal::kTimeout: return "timeout";
    case Refusal::kHeadersTooLarge: return "headers_too_large";
    case Refusal::kBodyTooLarge: return "body_too_large";
    case Refusal::kMalformed: return "malformed";
  }
  return "unknown";
}

void ListenerCounters::count(Refusal refusal) {
  switch (refusal) {
    case Refusal::kConnectionsPerAddress: connections_refused++; break;
    case Refusal::kTimeout: requests_timed_out++; break;
    case Refusal::kHeadersTooLarge: headers_too_large++; break;
    case Refusal::kBodyTooLarge: bodies_too_large++; break;
    case Refusal::kMalformed: malformed_requests++; break;
  }
  if (observer) observer(refusal);
}

HardenedServer::HardenedServer(ListenerLimits limits) {
  set_limits(limits);
  set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) { return admit(req, res); });
}

void HardenedServer::set_limits(const ListenerLimits& limits) {
  limits_ = limits;
  httplib::Server::set_payload_max_length(limits_.max_body_bytes);
}

void HardenedServer::set_payload_max_length(std::size_t length) {
  limits_.max_body_bytes = length;
  httplib::Server::set_payload_max_length(length);
}

void HardenedServer::add_admission_check(HandlerWithResponse check) { checks_.push_back(std::move(check)); }

std::size_t HardenedServer::connections_from(const std::string& address) const {
  std::lock_guard lock(connections_mutex_);
  const auto it = connections_.find(address);
  return it == connections_.end() ? 0 : it->second;
}

httplib::Server::HandlerResponse HardenedServer::admit(const httplib::Request& req, httplib::Response& res) {
  // Every answer from here on (route, refusal, 404) carries the date (RFC 9110 §6.6.1).
  res.set_header("Date", imf_fixdate(std::chrono::system_clock::now()));
  // httplib adds REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR and LOCAL_PORT to the headers it read.
  constexpr std::size_t kHeadersHttplibAdds = 4;
  if (req.headers.size() > limits_.max_header_count + kHeadersHttplibAdds) {
    counters_.count(Refusal::kHeadersTooLarge);
    refuse(res, 431, "more than " + std::to_string(limits_.max_header_count) + " request headers");
    return HandlerResponse::Handled;
  }
  for (const auto& [name, value] : req.headers) {
    if (!is_header_name(name) || !is_safe_header_value(value)) {
      counters_.count(Refusal::kMalformed);
      // The name is safe to echo only when it is a token; the value never is.
      refuse(res, 400,
             is_header_name(name) ? "header " + name + " has a character outside visible ASCII (after "
                                                       "percent-decoding); refused"
                                  : std::string("a header name is not an HTTP token; refused"));
      return HandlerResponse::Handled;
    }
  }
  if (req.has_header("Transfer-Encoding")) {
    if (req.has_header("Content-Length")) {
      counters_.count(Refusal::kMalformed);
      refuse(res, 400, "Transfer-Encoding together with Content-Length is refused (RFC 9112 section 6.1)");
      return HandlerResponse::Handled;
    }
    if (req.get_header_value_count("Transfer-Encoding") != 1 || req.get_header_value("Transfer-Encoding") != "chunked") {
      counters_.count(Refusal::kMalformed);
      refuse(res, 501, "only Transfer-Encoding: chunked is understood");
      return HandlerResponse::Handled;
    }
  }
  if (req.get_header_value_count("Content-Length") > 1) {
    counters_.count(Refusal::kMalformed);
    refuse(res, 400, "Content-Length is given more than once");
    return HandlerResponse::Handled;
  }
  for (const auto& check : checks_) {
    if (check(req, res) == HandlerResponse::Handled) return HandlerResponse::Handled;
  }
  return HandlerResponse::Unhandled;
}

bool HardenedServer::wait_for_request(socket_t sock, bool first) const {
  // A connection that has sent nothing yet gets the header timeout, not the keep-alive one: an
  // idle socket is the cheapest way to hold a worker thread.
  const auto until = SteadyClock::now() + (first ? std::chrono::duration_cast<SteadyClock::duration>(limits_.header_timeout)
                                                 : std::chrono::duration_cast<SteadyClock::duration>(
                                                       std::chrono::seconds(keep_alive_timeout_sec_)));
  return wait_ready(sock, POLLIN, until, [this] { return svr_sock_.load() == INVALID_SOCKET; });
}

bool HardenedServer::process_and_close_socket(socket_t sock) {
  int port = 0;
  const std::string address = peer_address(sock, port);
  bool admitted = true;
  {
    std::lock_guard lock(connections_mutex_);
    auto& count = connections_[address];
    if (limits_.max_connections_per_address > 0 && count >= limits_.max_connections_per_address) {
      admitted = false;
    } else {
      ++count;
    }
  }
  bool served = false;
  if (!admitted) {
    counters_.count(Refusal::kConnectionsPerAddress);
    send_all(sock, direct_answer(503, "Service Unavailable",
                                 "too many connections from this address (limit " +
                                     std::to_string(limits_.max_connections_per_address) + ")",
                                 "Retry-After: 1\r\n"));
  } else {
    GuardedStream stream(sock, limits_, counters_,
                         std::chrono::seconds(read_timeout_sec_) + std::chrono::microseconds(read_timeout_usec_),
                         std::chrono::seconds(write_timeout_sec_) + std::chrono::microseconds(write_timeout_usec_),
                         svr_sock_);
    std::size_t remaining = keep_alive_max_count_;
    while (remaining > 0 && svr_sock_.load() != INVALID_SOCKET && wait_for_request(sock, remaining == keep_alive_max_count_)) {
      stream.begin_request();
      bool connection_closed = false;
      served = process_request(stream, remaining == 1, connection_closed,
                               [&stream](httplib::Request& req) { stream.begin_body(req); });
      if (!served || connection_closed || stream.spoiled()) break;
      --remaining;
    }
    std::lock_guard lock(connections_mutex_);
    if (auto it = connections_.find(address); it != connections_.end() && --it->second == 0) connections_.erase(it);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return served;
}

}  // namespace edfleet::http
