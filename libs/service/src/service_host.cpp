#include "edfleet/service/service_host.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <prometheus/gauge.h>

#include "edfleet/core/log.h"

namespace edfleet::service {
namespace log = core::log;

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Written to a temporary file and renamed, so a reader never sees a half-written file.
void write_ready_file(const std::string& path, const nlohmann::json& content) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write ready file " + tmp + ": " + std::strerror(errno));
    out << content.dump() << '\n';
    out.close();
    if (!out) throw std::runtime_error("cannot write ready file " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("cannot write ready file " + path + ": " + ec.message());
  }
}

}  // namespace

void block_stop_signals() {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ServiceHost::ServiceHost(std::string name, CommonConfig config)
    : name_(std::move(name)),
      config_(std::move(config)),
      registry_(std::make_shared<prometheus::Registry>()),
      signer_(config_.internal_auth.secret, core::SystemClock::instance(), config_.internal_auth.ttl),
      verifier_(
          [&] {
            std::vector<std::string> secrets{config_.internal_auth.secret};
            secrets.insert(secrets.end(), config_.internal_auth.accepted_secrets.begin(),
                           config_.internal_auth.accepted_secrets.end());
            return secrets;
          }(),
          core::SystemClock::instance(), config_.internal_auth.ttl),
      grpc_(registry_, grpc::ServerOptions{.identity_verifier = &verifier_}),
      // With an admin port, /metrics lives there and the HTTP port may face the public.
      http_(config_.http_host.empty() ? config_.host : config_.http_host, config_.http_port, registry_,
            /*serve_metrics=*/config_.admin_port < 0, "http") {
  http_.routes().set_limits(config_.listener_limits());
  if (config_.admin_port >= 0) {
    admin_http_ = std::make_unique<metrics::HttpServer>(config_.admin_host.empty() ? config_.host : config_.admin_host,
                                                        config_.admin_port, registry_, true, "admin");
    admin_http_->routes().set_limits(config_.listener_limits());
  }
  // Before any thread exists that could otherwise take the signal.
  block_stop_signals();
  // A constant series, so every scrape (even of an idle service) shows which service answered.
  prometheus::BuildGauge()
      .Name("edfleet_service_info")
      .Help("Always 1; labels identify the edfleet service behind this endpoint.")
      .Register(*registry_)
      .Add({{"service", name_}})
      .Set(1);
}

ServiceHost::~ServiceHost() {
  // Normally run() has stopped everything; this covers a host that never ran or whose wiring threw.
  http_.stop();
  grpc_.shutdown(std::chrono::system_clock::now());
  while (!owned_.empty()) owned_.pop_back();
}

void ServiceHost::add_grpc_service(::grpc::Service* service, std::string health_name) {
  grpc_.add_service(service, std::move(health_name));
}

void ServiceHost::on_shutdown(std::function<void()> step) { shutdown_steps_.push_back(std::move(step)); }

void ServiceHost::add_background(std::function<void()> run, std::function<void()> stop, std::string name) {
  backgrounds_.push_back(Background{std::move(name), std::move(run), std::move(stop)});
}

void ServiceHost::request_stop() { stop_because("stop requested", false); }

void ServiceHost::stop_because(std::string reason, bool failure) {
  if (failure) failed_ = true;
  std::lock_guard lock(mutex_);
  if (stop_requested_ || shutting_down_) return;
  stop_requested_ = true;
  stop_reason_ = std::move(reason);
  // run() is (or will be) in sigwait with the signals blocked: a thread-directed SIGTERM wakes it
  // without any handler. Before run() has registered its thread, it finds stop_requested_ instead.
  if (run_thread_known_) pthread_kill(run_thread_, SIGTERM);
}

std::string ServiceHost::wait_for_stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_requested_ && !run_thread_known_) {
      shutting_down_ = true;
      return stop_reason_;
    }
  }
  sigset_t set = stop_signals();
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
  if (stop_requested_) return stop_reason_;
  return signal == SIGINT ? "SIGINT" : "SIGTERM";
}

int ServiceHost::run() {
  block_stop_signals();
  {
    std::lock_guard lock(mutex_);
    if (ran_) throw std::logic_error("ServiceHost::run called twice");
    ran_ = true;
    // A stop requested before this point is seen through stop_requested_ (no signal was sent).
    if (!stop_requested_) {
      run_thread_ = pthread_self();
      run_thread_known_ = true;
    }
  }

  try {
    grpc_port_ = grpc_.start(config_.host, config_.grpc_port);
    http_port_ = http_.start();
    if (admin_http_) admin_port_ = admin_http_->start();
  } catch (const std::exception& e) {
    log::error("service failed to start", {{"error", e.what()}, {"host", config_.host},
                                           {"grpc_port", config_.grpc_port}, {"http_port", config_.http_port}});
    stop_because("start-up failed", true);
  }

  if (!failed_) {
    for (auto& background : backgrounds_) {
      background_threads_.emplace_back([this, &background] {
        try {
          background.run();
          bool expected;
          {
            std::lock_guard lock(mutex_);
            expected = stop_requested_ || shutting_down_;
          }
          if (!expected) {
            log::error("background loop returned before shutdown", {{"loop", background.name}});
            stop_because("background loop " + background.name + " returned", true);
          }
        } catch (const std::exception& e) {
          log::error("background loop failed", {{"loop", background.name}, {"error", e.what()}});
          stop_because("background loop " + background.name + " failed", true);
        } catch (...) {
          log::error("background loop failed", {{"loop", background.name}, {"error", "unknown exception"}});
          stop_because("background loop " + background.name + " failed", true);
        }
      });
    }
  }

  bool ready_file_written = false;
  if (!failed_) {
    grpc_.set_serving(true);
    nlohmann::json endpoints = {{"service", name_},
                                {"grpc_port", grpc_port_.load()},
                                {"http_port", http_port_.load()},
                                {"pid", static_cast<int>(::getpid())}};
    if (admin_http_) endpoints["admin_port"] = admin_port_.load();
    try {
      if (!config_.ready_file.empty()) {
        write_ready_file(config_.ready_file, endpoints);
        ready_file_written = true;
      }
      nlohmann::json fields = endpoints;
      fields["host"] = config_.host;
      fields["ready_file"] = config_.ready_file;
      log::info("service started", fields);
    } catch (const std::exception& e) {
      log::error("service failed to start", {{"error", e.what()}});
      stop_because("start-up failed", true);
    }
  }

  std::string reason = wait_for_stop();
  log::info("service stopping", {{"reason", reason}});

  // Stopping must not hang forever: if a drain, a loop or a step is stuck past a generous limit, say
  // so and exit non-zero rather than linger half-stopped.
  std::mutex watchdog_mutex;
  std::condition_variable watchdog_cv;
  bool stopped = false;
  auto limit = config_.shutdown_grace * 2 + std::chrono::seconds(10);
  std::thread watchdog([&] {
    std::unique_lock lock(watchdog_mutex);
    if (!watchdog_cv.wait_for(lock, limit, [&] { return stopped; })) {
      log::error("shutdown did not finish in time; exiting", {{"limit_ms", limit.count()}});
      std::_Exit(1);
    }
  });

  shut_down();

  {
    std::lock_guard lock(watchdog_mutex);
    stopped = true;
  }
  watchdog_cv.notify_one();
  watchdog.join();

  if (ready_file_written) {
    std::error_code ec;
    std::filesystem::remove(config_.ready_file, ec);
  }
  int code = failed_ ? 1 : 0;
  log::info("service stopped", {{"exit_code", code}});
  return code;
}

void ServiceHost::shut_down() {
  grpc_.set_serving(false);
  grpc_.shutdown(std::chrono::system_clock::now() + config_.shutdown_grace);

  for (auto& background : backgrounds_) {
    try {
      if (background.stop) background.stop();
    } catch (const std::exception& e) {
      failed_ = true;
      log::error("stopping background loop failed", {{"loop", background.name}, {"error", e.what()}});
    }
  }
  for (auto& thread : background_threads_) thread.join();
  background_threads_.clear();

  for (auto it = shutdown_steps_.rbegin(); it != shutdown_steps_.rend(); ++it) {
    try {
      (*it)();
    } catch (const std::exception& e) {
      failed_ = true;
      log::error("shutdown step failed", {{"error", e.what()}});
    }
  }

  http_.stop();
  if (admin_http_) admin_http_->stop();
}

}  // namespace edfleet::service
