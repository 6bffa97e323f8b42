#include "edfleet/metrics/http_server.h"

#include <atomic>
#include <map>
#include <chrono>
#include <exception>
#include <stdexcept>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include <prometheus/counter.h>
#include <prometheus/text_serializer.h>

#include "edfleet/core/log.h"

namespace edfleet::metrics {

std::string render(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}


HttpServer::HttpServer(std::string host, int port, std::shared_ptr<prometheus::Registry> registry, bool serve_metrics,
                       const std::string& listener)
    : host_(std::move(host)), port_(port), registry_(std::move(registry)) {
  if (!registry_) throw std::invalid_argument("metrics::HttpServer needs a registry");
  if (serve_metrics) {
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(render(*registry_), kPrometheusContentType);
    });
  }
  auto& refusals = prometheus::BuildCounter()
                       .Name("edfleet_http_refusals_total")
                       .Help("Connections and requests an HTTP listener refused before routing (limits, bad framing, "
                             "unsafe header values).")
                       .Register(*registry_);
  std::map<http::Refusal, prometheus::Counter*> by_reason;
  for (auto reason : {http::Refusal::kConnectionsPerAddress, http::Refusal::kTimeout, http::Refusal::kHeadersTooLarge,
                      http::Refusal::kBodyTooLarge, http::Refusal::kMalformed}) {
    by_reason[reason] = &refusals.Add({{"listener", listener}, {"reason", std::string(http::refusal_name(reason))}});
  }
  server_.on_refusal([by_reason](http::Refusal reason) { by_reason.at(reason)->Increment(); });
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain; charset=utf-8");
  });
  // httplib's default sets SO_REUSEPORT, which lets a second process bind the same port and silently
  // take half the requests; a port clash must be an error. SO_REUSEADDR still allows a quick restart
  // while old connections are in TIME_WAIT.
  // The listening socket is the only one httplib hands to this callback; keep it to raise its backlog.
  server_.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_socket_ = sock;
  });
  // Small responses must leave at once: without TCP_NODELAY each one waited ~40 ms for the
  // client's delayed ACK (measured by the benchmark: a 1-event POST took 47 ms, 3.2 ms with it).
  server_.set_tcp_nodelay(true);
  // A throwing route must answer 500 and be logged, never take the server thread down.
  server_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        core::log::error("http handler failed", {{"method", req.method}, {"path", req.path}, {"error", what}});
        res.status = 500;
        res.set_content("internal error", "text/plain; charset=utf-8");
      });
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::start() {
  std::lock_guard lock(mutex_);
  if (started_) throw std::runtime_error("metrics::HttpServer::start called twice");
  int bound = -1;
  if (port_ == 0) {
    bound = server_.bind_to_any_port(host_);
  } else if (server_.bind_to_port(host_, port_)) {
    bound = port_;
  }
  if (bound <= 0) {
    throw std::runtime_error("cannot bind HTTP server to " + host_ + ":" + std::to_string(port_));
  }
  // listen() again on a listening socket only changes its backlog (capped by net.core.somaxconn).
  if (listen_socket_ >= 0 && ::listen(listen_socket_, kListenBacklog) != 0) {
    core::log::warn("cannot raise the HTTP listen backlog", {{"port", bound}, {"errno", errno}});
  }
  bound_port_ = bound;
  started_ = true;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([this, finished] {
    if (!server_.listen_after_bind()) {
      core::log::error("HTTP server stopped serving unexpectedly", {{"port", bound_port_}});
    }
    *finished = true;
  });
  // httplib's stop() is a no-op until the accept loop has started, so do not return (and let anyone
  // call stop()) before it has. This takes microseconds.
  while (!server_.is_running() && !*finished) std::this_thread::sleep_for(std::chrono::microseconds(100));
  return bound_port_;
}

int HttpServer::listen_backlog() const {
  if (listen_socket_ < 0 || bound_port_ == 0) return 0;
  // For a listening socket Linux reports the accept queue's limit in tcpi_sacked.
  tcp_info info{};
  socklen_t size = sizeof(info);
  if (::getsockopt(listen_socket_, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return 0;
  return static_cast<int>(info.tcpi_sacked);
}

void HttpServer::stop() {
  std::lock_guard lock(mutex_);
  if (!started_) return;
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace edfleet::metrics
