#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "edfleet/testing/testing.h"

#include "edfleet/testing/internal_auth.h"

namespace fs = std::filesystem;

namespace edfleet::testing {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(30);
constexpr std::size_t kMaxCaptured = 16 << 20;   // keep the last 16 MiB of a chatty service
constexpr std::size_t kTailLines = 60;

bool echo_enabled() {
  const char* value = std::getenv("EDFLEET_TEST_ECHO");
  return value != nullptr && *value != '\0' && std::string_view(value) != "0";
}

}  // namespace

struct ServiceProcess::Captured {
  mutable std::mutex mutex;
  std::string text;
  std::deque<std::string> tail;  // the last kTailLines lines, for error messages
  std::string name;
  bool echo = false;

  void add(std::string_view line) {
    if (echo) std::fprintf(stderr, "[%s] %.*s\n", name.c_str(), static_cast<int>(line.size()), line.data());
    std::lock_guard lock(mutex);
    text.append(line).append("\n");
    if (text.size() > kMaxCaptured) text.erase(0, text.size() - kMaxCaptured / 2);
    tail.emplace_back(line);
    if (tail.size() > kTailLines) tail.pop_front();
  }
  std::string last_lines() const {
    std::lock_guard lock(mutex);
    if (tail.empty()) return "(no output)\n";
    std::string out;
    for (const auto& line : tail) out += "  " + line + "\n";
    return out;
  }
};

std::string bin_path(std::string_view binary) {
  if (const char* dir = std::getenv("EDFLEET_BIN_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/" + std::string(binary);
  }
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    throw std::runtime_error("bin_path: EDFLEET_BIN_DIR is not set and /proc/self/exe is unreadable");
  }
  return (self.parent_path() / binary).string();
}

ServiceProcess::TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "edfleet-svc-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("ServiceProcess: cannot create a temp dir: " +
                             std::string(std::strerror(errno)));
  }
  path = pattern;
}

ServiceProcess::TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

ServiceProcess::ServiceProcess(std::string binary, std::map<std::string, std::string> env,
                               std::vector<std::string> args)
    : binary_(binary.find('/') == std::string::npos ? bin_path(binary) : std::move(binary)),
      name_(fs::path(binary_).filename().string()),
      env_(std::move(env)),
      args_(std::move(args)),
      ready_file_(dir_.path + "/ready.json"),
      captured_(std::make_shared<Captured>()) {
  captured_->name = name_;
  captured_->echo = echo_enabled();
  start();
}

ServiceProcess::~ServiceProcess() = default;  // ~Subprocess SIGKILLs and reaps

int ServiceProcess::pid() const { return process_ ? process_->pid() : -1; }

void ServiceProcess::kill(int signal) {
  if (process_) process_->signal(signal);
}

int ServiceProcess::wait() { return process_->wait(); }

std::optional<int> ServiceProcess::wait_for(std::chrono::milliseconds timeout) {
  return process_->wait_for(timeout);
}

bool ServiceProcess::running() { return process_ && process_->running(); }

std::string ServiceProcess::output() const {
  std::lock_guard lock(captured_->mutex);
  return captured_->text;
}

void ServiceProcess::restart() {
  if (process_ && process_->running()) {
    process_->signal(SIGKILL);
    process_->wait();
  }
  captured_->add("----- " + name_ + " restarted -----");
  start();
}

void ServiceProcess::start() {
  std::error_code ec;
  fs::remove(ready_file_, ec);
  grpc_port_ = 0;
  http_port_ = 0;
  ready_ = nullptr;

  std::vector<std::string> argv{binary_};
  argv.insert(argv.end(), args_.begin(), args_.end());
  auto env = env_;
  env["EDFLEET_READY_FILE"] = ready_file_;
  // Every test fleet shares one internal_auth secret (internal_auth.h), unless the test sets its own.
  env.try_emplace("EDFLEET_INTERNAL_AUTH_SECRET", std::string(kInternalAuthSecret));
  auto captured = captured_;
  process_ = std::make_unique<core::Subprocess>(core::Subprocess::Options{
      .argv = std::move(argv),
      .env = std::move(env),
      .working_dir = {},
      .on_output = [captured](std::string_view line, bool) { captured->add(line); }});

  auto try_read_ready = [this]() -> bool {
    std::ifstream in(ready_file_);
    if (!in) return false;
    std::stringstream buffer;
    buffer << in.rdbuf();
    // Services write the file atomically (tmp + rename), but be lenient with a partial write.
    auto json = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object() || !json.contains("grpc_port")) return false;
    ready_ = std::move(json);
    grpc_port_ = ready_.value("grpc_port", 0);
    http_port_ = ready_.value("http_port", 0);
    return true;
  };

  std::optional<int> exit_status;
  bool ready = wait_until(
      [&] {
        if (try_read_ready()) return true;
        exit_status = process_->try_wait();
        return exit_status.has_value();
      },
      kReadyTimeout);
  if (ready && !exit_status) return;

  std::string why;
  if (exit_status) {
    why = " exited with status " + std::to_string(*exit_status) + " before it was ready";
  } else {
    process_->signal(SIGKILL);
    process_->wait();
    why = " wrote no ready file within " + std::to_string(kReadyTimeout.count()) + " s (killed it)";
  }
  throw std::runtime_error(name_ + why + " (ready file " + ready_file_ + "); last output:\n" +
                           captured_->last_lines());
}

}  // namespace edfleet::testing
