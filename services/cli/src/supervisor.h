// The supervisor behind `edfleet up`: starts children one at a time and waits for each one's ready
// file, watches them, and stops them in reverse order (SIGTERM, a grace period, then SIGKILL).
// Start-up, watching and stopping all give way to a stop request (Ctrl-C / SIGTERM); a second request
// while stopping skips the grace periods.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"
#include "process.h"

namespace edfleet::cli {

// Counts stop requests; the signal handler increments it (lock-free atomics are signal-safe).
class StopRequest {
 public:
  void request() { count_.fetch_add(1, std::memory_order_relaxed); }
  bool requested() const { return count_.load(std::memory_order_relaxed) > 0; }
  int count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> count_{0};
};

struct ChildExit {
  std::string name;
  int status = 0;     // exit code, or -N when killed by signal N
};

class Supervisor {
 public:
  struct Options {
    std::chrono::milliseconds ready_timeout{60000};
    std::chrono::milliseconds stop_grace{15000};
    std::chrono::milliseconds poll_interval{50};
  };

  // Messages about children (started, ready, stopping) go to `note`.
  Supervisor(ProcessLauncher& launcher, const StopRequest& stop, const core::Clock& clock, Options options,
             std::function<void(std::string_view name, std::string_view line)> on_output,
             std::function<void(std::string_view message)> note);
  ~Supervisor();   // kills whatever is still running (stop_all() is the orderly way)

  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Launches a child and waits until `ready_file` holds a JSON object (which is returned). The file
  // is removed first so a stale one is never taken for readiness. Fails (kUnavailable) if the child
  // cannot start or exits first (with its status), kDeadlineExceeded after the ready timeout, and
  // kFailedPrecondition if a stop is requested meanwhile; a child that did not get ready is stopped.
  core::Result<nlohmann::json> start(const LaunchSpec& spec, const std::string& ready_file);

  // Blocks until a stop is requested (nullopt) or a child exits on its own (which one, how).
  std::optional<ChildExit> watch();

  // Stops every running child, last started first. Returns how each one ended.
  std::vector<ChildExit> stop_all();

  std::size_t size() const { return children_.size(); }
  int pid(std::string_view name) const;

 private:
  struct Child {
    std::string name;
    std::unique_ptr<ChildProcess> process;
    std::optional<int> status;
  };
  ChildExit stop_child(Child& child);

  ProcessLauncher& launcher_;
  const StopRequest& stop_;
  const core::Clock& clock_;
  Options options_;
  std::function<void(std::string_view, std::string_view)> on_output_;
  std::function<void(std::string_view)> note_;
  int stop_baseline_ = 0;   // stop requests seen when stopping began
  std::vector<Child> children_;
};

// Reads a ready file: the JSON object in it, or nullopt if it is absent, empty or not (yet) valid.
std::optional<nlohmann::json> read_ready_file(const std::string& path);

}  // namespace edfleet::cli
