#include "edfleet/sim/sim_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>

#include "app/sim_app.h"
#include "app/sim_options.h"

namespace edfleet::sim {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

// Installs SIGINT/SIGTERM handlers for the run and restores the previous ones afterwards.
class StopSignals {
 public:
  StopSignals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace

int run_sim_command(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto parsed = parse_sim_options(args, core::Environment::from_process());
  if (!parsed.options) {
    (parsed.exit_code != kSimExitOk ? std::cerr : std::cout) << parsed.output << std::flush;
    return parsed.exit_code;
  }
  try {
    g_stop.store(false);
    StopSignals signals;
    return run_sim(*parsed.options, {std::cout, std::cerr, ::isatty(STDERR_FILENO) == 1}, g_stop).exit_code;
  } catch (const std::exception& e) {
    std::cerr << "edfleet sim: " << e.what() << "\n";
    return kSimExitFailure;
  }
}

}  // namespace edfleet::sim
