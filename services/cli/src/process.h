// The supervisor's view of a child process, as a small interface so the supervisor's logic (start
// order, readiness, unexpected exits, stop escalation) is unit-tested with fakes. The real
// implementation (SubprocessLauncher) wraps core::Subprocess.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edfleet::cli {

class ChildProcess {
 public:
  virtual ~ChildProcess() = default;
  virtual int pid() const = 0;
  // Sends a signal to the child; false if it has already been reaped.
  virtual bool signal(int signal) = 0;
  // SIGKILL to the child's whole process group.
  virtual void kill() = 0;
  // Exit code, or -N when killed by signal N; nullopt while running. Never blocks.
  virtual std::optional<int> try_wait() = 0;
  // Waits up to `timeout` for the child to exit.
  virtual std::optional<int> wait_for(std::chrono::milliseconds timeout) = 0;
};

struct LaunchSpec {
  std::string name;                             // for output prefixes and messages
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;       // over the inherited environment
};

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  // Starts the child; each output line (stdout or stderr) goes to on_line. Throws std::exception
  // with a clear message if it cannot be started.
  virtual std::unique_ptr<ChildProcess> launch(const LaunchSpec& spec,
                                               std::function<void(std::string_view line)> on_line) = 0;
};

// Launches real processes with core::Subprocess (own process group, stdin /dev/null, SIGTERM when
// the launching thread or process dies, e.g. when `edfleet up` is SIGKILLed).
class SubprocessLauncher final : public ProcessLauncher {
 public:
  std::unique_ptr<ChildProcess> launch(const LaunchSpec& spec,
                                       std::function<void(std::string_view line)> on_line) override;
};

// "exited with status 3", "was killed by signal 9 (Killed)".
std::string describe_exit(int status);

}  // namespace edfleet::cli
