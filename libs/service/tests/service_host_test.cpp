// ServiceHost in-process: start-up, readiness, the shutdown order and failure handling. The host
// runs on its own thread (which blocks SIGTERM/SIGINT for itself only); the test thread stops it
// with request_stop().
#include "edfleet/testing/wait.h"
#include "edfleet/service/service_host.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <nlohmann/json.hpp>

#include "edfleet/grpc/health_client.h"
#include "edfleet/rules/v1/rules.grpc.pb.h"

namespace fs = std::filesystem;
using edfleet::service::CommonConfig;
using edfleet::service::ServiceHost;

namespace {

// The one polling wait of the test suite (libs/testing), under this file's name.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  return edfleet::testing::wait_until(condition, timeout);
}

fs::path temp_ready_file() {
  static std::atomic<int> n{0};
  return fs::temp_directory_path() /
         ("edfleet-service-host-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".json");
}

// Runs a ServiceHost on its own thread. The host lives (on that thread) until run() has returned.
class HostThread {
 public:
  HostThread(CommonConfig config, std::function<void(ServiceHost&)> wire) {
    thread_ = std::thread([this, config = std::move(config), wire = std::move(wire)] {
      ServiceHost host("test", config);
      if (wire) wire(host);
      {
        std::lock_guard lock(mutex_);
        host_ = &host;
      }
      int code = host.run();
      {
        std::lock_guard lock(mutex_);
        host_ = nullptr;
      }
      exit_code_.set_value(code);
    });
    exit_future_ = exit_code_.get_future();
  }
  ~HostThread() {
    stop();
    if (thread_.joinable()) thread_.join();
  }

  void stop() {
    std::lock_guard lock(mutex_);
    if (host_) host_->request_stop();
  }
  // The exit code, or -1000 if run() has not returned within the timeout.
  int wait(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    if (exit_future_.wait_for(timeout) != std::future_status::ready) return -1000;
    int code = exit_future_.get();
    thread_.join();
    return code;
  }
  int grpc_port() {
    std::lock_guard lock(mutex_);
    return host_ ? host_->grpc_port() : 0;
  }
  int http_port() {
    std::lock_guard lock(mutex_);
    return host_ ? host_->http_port() : 0;
  }

 private:
  std::mutex mutex_;
  ServiceHost* host_ = nullptr;
  std::promise<int> exit_code_;
  std::future<int> exit_future_;
  std::thread thread_;
};

class Events {
 public:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> list() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> events_;
};

// A stand-in for a consumer loop: runs until stopped.
class Loop {
 public:
  explicit Loop(Events& events) : events_(events) {}
  void run() {
    events_.add("loop started");
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return stopped_; });
    events_.add("loop returned");
  }
  void stop() {
    events_.add("loop stop");
    std::lock_guard lock(mutex_);
    stopped_ = true;
    cv_.notify_all();
  }

 private:
  Events& events_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("ServiceHost serves, writes the ready file, and shuts down in order") {
  auto ready = temp_ready_file();
  CommonConfig config;
  config.ready_file = ready.string();
  config.shutdown_grace = std::chrono::seconds(2);
  Events events;
  edfleet::rules::v1::RulesService::Service rules;  // the generated base: all UNIMPLEMENTED

  HostThread host(config, [&](ServiceHost& h) {
    auto& loop = h.make<Loop>(events);
    h.add_grpc_service(&rules, edfleet::rules::v1::RulesService::service_full_name());
    h.add_background([&loop] { loop.run(); }, [&loop] { loop.stop(); }, "loop");
    h.on_shutdown([&] { events.add("step 1"); });
    h.on_shutdown([&] { events.add("step 2"); });
    h.http().Get("/hello", [](const httplib::Request&, httplib::Response& res) { res.set_content("hi", "text/plain"); });
  });

  REQUIRE(eventually([&] { return fs::exists(ready); }));
  auto content = nlohmann::json::parse(read_file(ready));
  CHECK(content["service"] == "test");
  CHECK(content["pid"] == static_cast<int>(::getpid()));
  int grpc_port = content["grpc_port"];
  int http_port = content["http_port"];
  CHECK(grpc_port == host.grpc_port());
  CHECK(http_port == host.http_port());
  CHECK(grpc_port > 0);
  CHECK(http_port > 0);

  auto channel = ::grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port), ::grpc::InsecureChannelCredentials());
  CHECK(edfleet::grpc::check_health(channel).serving_ok());
  CHECK(edfleet::grpc::check_health(channel, "edfleet.rules.v1.RulesService").serving_ok());

  httplib::Client http("127.0.0.1", http_port);
  auto hello = http.Get("/hello");
  REQUIRE(hello);
  CHECK(hello->body == "hi");
  auto healthz = http.Get("/healthz");
  REQUIRE(healthz);
  CHECK(healthz->status == 200);
  CHECK(eventually([&] { return !events.list().empty(); }));

  host.stop();
  CHECK(host.wait() == 0);
  CHECK(events.list() ==
        std::vector<std::string>{"loop started", "loop stop", "loop returned", "step 2", "step 1"});
  CHECK_FALSE(fs::exists(ready));
  // Both ports are closed.
  CHECK_FALSE(edfleet::grpc::check_health(channel, {}, std::chrono::milliseconds(500)).status.ok());
  httplib::Client after("127.0.0.1", http_port);
  CHECK_FALSE(after.Get("/healthz"));
}

TEST_CASE("a background loop that throws shuts the service down with a non-zero exit") {
  auto ready = temp_ready_file();
  CommonConfig config;
  config.ready_file = ready.string();
  Events events;
  std::promise<void> fail;
  auto fail_future = fail.get_future().share();
  HostThread host(config, [&](ServiceHost& h) {
    h.add_background(
        [fail_future] {
          fail_future.wait();
          throw std::runtime_error("broker gone for good");
        },
        [] {}, "consumer");
    h.on_shutdown([&] { events.add("step"); });
  });
  REQUIRE(eventually([&] { return fs::exists(ready); }));
  fail.set_value();
  CHECK(host.wait() == 1);
  CHECK(events.list() == std::vector<std::string>{"step"});
  CHECK_FALSE(fs::exists(ready));
}

TEST_CASE("a background loop that returns on its own is a failure too") {
  CommonConfig config;
  HostThread host(config, [&](ServiceHost& h) { h.add_background([] {}, [] {}, "quitter"); });
  CHECK(host.wait() == 1);
}

TEST_CASE("a stop requested before run() still starts and stops cleanly") {
  CommonConfig config;
  std::promise<int> code;
  std::thread runner([&] {
    ServiceHost host("test", config);
    host.request_stop();
    code.set_value(host.run());
  });
  auto future = code.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  CHECK(future.get() == 0);
  runner.join();
}

TEST_CASE("a gRPC port that is taken fails start-up with exit code 1") {
  CommonConfig first_config;
  HostThread first(first_config, nullptr);
  REQUIRE(eventually([&] { return first.grpc_port() > 0 && first.http_port() > 0; }));

  CommonConfig clash;
  clash.grpc_port = first.grpc_port();
  HostThread second(clash, nullptr);
  CHECK(second.wait() == 1);

  first.stop();
  CHECK(first.wait() == 0);
}
