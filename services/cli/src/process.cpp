#include "process.h"

#include <csignal>
#include <cstring>

#include "edfleet/core/subprocess.h"

namespace edfleet::cli {

namespace {

class SubprocessChild final : public ChildProcess {
 public:
  explicit SubprocessChild(core::Subprocess::Options options) : process_(std::move(options)) {}
  int pid() const override { return process_.pid(); }
  bool signal(int signal) override { return process_.signal(signal); }
  void kill() override { process_.signal_group(SIGKILL); }
  std::optional<int> try_wait() override { return process_.try_wait(); }
  std::optional<int> wait_for(std::chrono::milliseconds timeout) override { return process_.wait_for(timeout); }

 private:
  core::Subprocess process_;
};

}  // namespace

std::unique_ptr<ChildProcess> SubprocessLauncher::launch(const LaunchSpec& spec,
                                                         std::function<void(std::string_view line)> on_line) {
  core::Subprocess::Options options;
  options.argv = spec.argv;
  options.env = spec.env;
  options.on_output = [on_line = std::move(on_line)](std::string_view line, bool /*is_stderr*/) {
    on_line(line);
  };
  // A SIGKILLed `edfleet up` runs no cleanup: the kernel tells each child to stop gracefully instead
  // of leaving it orphaned. (The supervisor launches from the main thread, which lives until the end.)
  options.parent_death_signal = SIGTERM;
  return std::make_unique<SubprocessChild>(std::move(options));
}

std::string describe_exit(int status) {
  if (status >= 0) return "exited with status " + std::to_string(status);
  const char* name = ::strsignal(-status);
  return "was killed by signal " + std::to_string(-status) + (name != nullptr ? std::string(" (") + name + ")" : "");
}

}  // namespace edfleet::cli
