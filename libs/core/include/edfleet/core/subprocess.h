// Subprocess: a child process with its output delivered line by line, used by the test harness
// (testing::ServiceProcess, pg::EmbeddedPostgres) and by the `edfleet up` supervisor.
//
//   core::Subprocess child({.argv = {"edfleet-ingest", "--config", "ingest.yaml"},
//                           .env = {{"EDFLEET_LOG_LEVEL", "debug"}},
//                           .on_output = [](std::string_view line, bool is_stderr) { ... }});
//   child.signal(SIGTERM);
//   int status = child.wait();   // exit code, or -N if killed by signal N
//
// The child is started with posix_spawn, or fork + exec when parent_death_signal is set (argv[0]
// is looked up in the parent's PATH unless it contains a '/'),
// with `env` merged over the current environment, stdin from /dev/null, the parent's signal mask
// and dispositions reset to defaults, no inherited file descriptors beyond 0-2, and in its own
// process group: a Ctrl-C on the parent's terminal does not reach it directly, so a supervisor
// decides how to stop it (it forwards SIGINT/SIGTERM with signal()). When `on_output` is set,
// stdout and stderr are piped and one background thread splits them into lines (without the
// trailing newline) and calls on_output(line, is_stderr) for each; otherwise both go to /dev/null.
// The callback runs on that thread and must not call wait(), wait_for(), try_wait() or running()
// (they join that thread once the child has exited) nor destroy the Subprocess. Output the
// child wrote before it exited is always delivered before wait() returns. The destructor kills
// (SIGKILL) the child's process group if the child is still running, and reaps it.
// All member functions are thread-safe.
//
// A supervisor that may itself be killed (SIGKILL runs no destructor) sets parent_death_signal,
// e.g. SIGTERM: Linux then sends that signal to the child when the parent goes away (prctl
// PR_SET_PDEATHSIG, set between fork and exec since posix_spawn cannot; a parent already gone by
// then counts too). Note that "the parent" is the THREAD that constructed the Subprocess: create
// such children from a thread that lives as long as they should (e.g. main), not from a worker
// that ends earlier. The setting is cleared when the child execs a set-user-ID program, and only
// covers the child itself, not what it starts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace edfleet::core {

class Subprocess {
 public:
  using OutputCallback = std::function<void(std::string_view line, bool is_stderr)>;

  struct Options {
    std::vector<std::string> argv;              // argv[0] is the program (PATH lookup if no '/')
    std::map<std::string, std::string> env;     // merged over (overriding) the current environment
    std::string working_dir;                    // empty = the parent's working directory
    OutputCallback on_output;                   // empty = discard stdout and stderr
    int parent_death_signal = 0;                // e.g. SIGTERM: sent to the child when the parent
                                                // (thread) dies; 0 = none (see above)
  };

  // Starts the child. Throws std::system_error if it cannot be started (e.g. the program does not
  // exist: the message names it), std::invalid_argument if argv is empty or parent_death_signal is
  // not a signal number.
  explicit Subprocess(Options options);
  Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
             OutputCallback on_output = {});
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Sends `signal` to the child (not its process group). Returns false if the child has already
  // been reaped (the signal is then not sent, so a recycled pid is never hit).
  bool signal(int signal);
  // Sends `signal` to the child's whole process group (the child and anything it started that
  // stayed in its group). Returns false if the child has already been reaped.
  bool signal_group(int signal);

  // Blocks until the child exits; returns its exit code, or -N if it was killed by signal N.
  // May be called repeatedly (returns the same status).
  int wait();
  // Like wait() but gives up after `timeout`, returning nullopt if the child is still running.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // The exit status if the child has exited (reaping it), else nullopt. Never blocks on the child.
  std::optional<int> try_wait();
  bool running() { return !try_wait().has_value(); }

  // The command line, for messages: "prog arg1 arg2".
  const std::string& description() const { return description_; }

 private:
  void read_output();                 // the reader thread
  void finish_output();               // stops and joins the reader thread (idempotent)
  std::optional<int> reap(bool block);

  pid_t pid_ = -1;
  int pidfd_ = -1;                    // for wait_for(); -1 if the kernel has no pidfd_open
  std::string description_;
  OutputCallback on_output_;

  std::mutex mutex_;                  // guards status_ and the reap itself
  std::optional<int> status_;

  std::mutex reader_mutex_;           // serialises finish_output()
  std::thread reader_;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int wake_read_fd_ = -1;             // written to once the child is reaped: drain and stop
  int wake_write_fd_ = -1;
};

}  // namespace edfleet::core
