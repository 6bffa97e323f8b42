#include "fleet.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace edfleet::bench {

namespace {

std::mutex tracked_mutex;
std::set<int> tracked_pids;
std::atomic<bool> postgres_running{false};

}  // namespace

void clean_up_on_signals() {
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);   // inherited by every thread created from here on
  std::thread([signals] {
    int received = 0;
    sigwait(&signals, &received);
    {
      std::lock_guard lock(tracked_mutex);
      for (int pid : tracked_pids) ::kill(pid, SIGKILL);
    }
    if (postgres_running) {
      try {
        testing::shared_postgres().stop();
      } catch (...) {
      }
    }
    std::_Exit(128 + received);
  }).detach();
}

void postgres_started() { postgres_running = true; }

void tune_postgres(pg::EmbeddedPostgres& postgres) {
  {
    pqxx::connection connection(postgres.url());
    pqxx::nontransaction work(connection);
    work.exec("ALTER SYSTEM SET shared_buffers = '1GB'");
  }
  postgres.stop();
  postgres.start();
}

std::int64_t env_int(const char* name, std::int64_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::stoll(value);
}

Tracked::Tracked(int pid) : pid_(pid) {
  std::lock_guard lock(tracked_mutex);
  tracked_pids.insert(pid);
}

Tracked::~Tracked() {
  std::lock_guard lock(tracked_mutex);
  tracked_pids.erase(pid_);
}

BrokerProcess::BrokerProcess() {
  process_ = std::make_unique<core::Subprocess>(
      std::vector<std::string>{testing::bin_path("edfleet-broker"), "--log-level", "warn"},
      std::map<std::string, std::string>{}, [this](std::string_view line, bool is_stderr) {
        std::lock_guard lock(mutex_);
        if (!is_stderr && first_line_.empty()) first_line_ = std::string(line);
      });
  const bool ready = testing::wait_until(
      [&] {
        std::lock_guard lock(mutex_);
        return !first_line_.empty() || !process_->running();
      },
      std::chrono::seconds(30));
  std::lock_guard lock(mutex_);
  auto json = nlohmann::json::parse(first_line_, nullptr, false);
  if (!ready || json.is_discarded() || !json.contains("bootstrap_servers")) {
    throw std::runtime_error("edfleet-broker did not start (first line: '" + first_line_ + "')");
  }
  bootstrap_servers_ = json["bootstrap_servers"].get<std::string>();
}

std::map<std::string, std::string> service_env(const std::string& service, const std::string& bootstrap_servers,
                                               const std::string& postgres_url) {
  std::string prefix = "EDFLEET_";
  for (char c : service) prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return {{"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", bootstrap_servers},
          {prefix + "_POSTGRES_URL", postgres_url},
          {prefix + "_GRPC_PORT", "0"},
          {prefix + "_HTTP_PORT", "0"},
          {prefix + "_LOG_LEVEL", "info"}};
}

}  // namespace edfleet::bench
