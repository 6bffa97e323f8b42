#include "edfleet/core/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <utility>

extern char** environ;  // NOLINT: POSIX

namespace edfleet::core {
namespace {

// A line longer than this is delivered in pieces so a child that never writes '\n' cannot make
// the reader buffer grow without bound.
constexpr std::size_t kMaxLine = 1 << 20;
// After the child exited, at most this much still-buffered output is read (a grandchild that
// inherited the pipe could otherwise keep the reader busy forever).
constexpr std::size_t kMaxDrain = 8 << 20;

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

int decode_status(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return -WTERMSIG(raw);
  return -1;
}

// RAII for the posix_spawn attribute objects.
struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
};
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

void check(int rc, const char* what) {
  if (rc != 0) throw_errno(rc, what);
}

// How the child is set up; everything is prepared before it starts, so that the fork path's child
// needs no allocation.
struct ChildSetup {
  char* const* argv;
  char* const* envp;
  int stdout_fd;             // -1: /dev/null
  int stderr_fd;             // -1: /dev/null
  const char* working_dir;   // nullptr: the parent's
  int parent_death_signal;   // 0: none (then posix_spawn is used)
};

// Starts the child with posix_spawnp; returns 0 or the errno of a failed start.
int spawn(const ChildSetup& setup, pid_t& pid) {
  SpawnActions actions;
  auto* fa = &actions.actions;
  check(posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0), "posix_spawn stdin");
  if (setup.stdout_fd >= 0) {
    check(posix_spawn_file_actions_adddup2(fa, setup.stdout_fd, 1), "posix_spawn stdout");
    check(posix_spawn_file_actions_adddup2(fa, setup.stderr_fd, 2), "posix_spawn stderr");
  } else {
    check(posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0), "posix_spawn stdout");
    check(posix_spawn_file_actions_addopen(fa, 2, "/dev/null", O_WRONLY, 0), "posix_spawn stderr");
  }
  // Descriptors some library opened without O_CLOEXEC (listening sockets, ...) must not leak.
  check(posix_spawn_file_actions_addclosefrom_np(fa, 3), "posix_spawn closefrom");
  if (setup.working_dir != nullptr) {
    check(posix_spawn_file_actions_addchdir_np(fa, setup.working_dir), "posix_spawn chdir");
  }

  SpawnAttr attr;
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  sigset_t all_signals;
  sigfillset(&all_signals);
  // Own process group; a clean signal state even if the parent blocks or ignores signals (a
  // service host blocks SIGTERM for sigwait, libpq users ignore SIGPIPE).
  check(posix_spawnattr_setflags(&attr.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF),
        "posix_spawnattr_setflags");
  check(posix_spawnattr_setpgroup(&attr.attr, 0), "posix_spawnattr_setpgroup");
  check(posix_spawnattr_setsigmask(&attr.attr, &empty_mask), "posix_spawnattr_setsigmask");
  check(posix_spawnattr_setsigdefault(&attr.attr, &all_signals), "posix_spawnattr_setsigdefault");
  return ::posix_spawnp(&pid, setup.argv[0], fa, &attr.attr, setup.argv, setup.envp);
}

// The program posix_spawnp would run: argv[0] itself if it holds a '/', else the first executable
// file of that name in the parent's PATH. Empty if there is none.
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/bin:/usr/bin";
  while (true) {
    const auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

// The child side of fork_exec. Only async-signal-safe calls: the parent may have other threads,
// whose locks (malloc's, ...) are copied in whatever state they were. An error before exec is sent
// to the parent as an errno through `error_fd` (close-on-exec, so a successful exec closes it).
[[noreturn]] void exec_child(const ChildSetup& setup, const char* program, pid_t parent, int error_fd) {
  auto fail = [error_fd](int err) {
    while (::write(error_fd, &err, sizeof err) < 0 && errno == EINTR) {
    }
    ::_exit(127);
  };
  // Default dispositions (ignored signals would stay ignored across exec); every signal is still
  // blocked here (the parent blocked them around fork), so no inherited handler can run.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  if (::setpgid(0, 0) != 0) fail(errno);
  if (::prctl(PR_SET_PDEATHSIG, setup.parent_death_signal) != 0) fail(errno);

  const int null_in = ::open("/dev/null", O_RDONLY);
  if (null_in < 0 || ::dup2(null_in, 0) < 0) fail(errno);
  for (auto [target, source] : {std::pair{1, setup.stdout_fd}, std::pair{2, setup.stderr_fd}}) {
    const int fd = source >= 0 ? source : ::open("/dev/null", O_WRONLY);
    if (fd < 0 || ::dup2(fd, target) < 0) fail(errno);
  }
  // Close everything from 3 up but the error pipe (close_range: Linux 5.9; else one by one).
  for (auto [first, last] : {std::pair{3U, static_cast<unsigned>(error_fd) - 1}, std::pair{static_cast<unsigned>(error_fd) + 1, ~0U}}) {
    if (first > last) continue;
    if (::syscall(SYS_close_range, first, last, 0) != 0) {
      for (unsigned fd = first; fd <= last && fd < 65536; ++fd) ::close(static_cast<int>(fd));
    }
  }
  if (setup.working_dir != nullptr && ::chdir(setup.working_dir) != 0) fail(errno);

  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // a death signal sent since prctl arrives now
  // The parent may have died before prctl: then no signal comes; act as if it had.
  if (::getppid() != parent) ::raise(setup.parent_death_signal);
  ::execve(program, setup.argv, setup.envp);
  fail(errno);
  ::_exit(127);  // not reached
}

// Starts the child with fork + execve, for what posix_spawn cannot do: PR_SET_PDEATHSIG. Returns 0
// or the errno of a failed start (as spawn() does).
int fork_exec(const ChildSetup& setup, pid_t& pid) {
  const std::string program = find_program(setup.argv[0]);
  if (program.empty()) return ENOENT;
  std::array<int, 2> error_pipe{-1, -1};
  if (::pipe2(error_pipe.data(), O_CLOEXEC) != 0) return errno;
  sigset_t all_signals;
  sigfillset(&all_signals);
  sigset_t previous;
  ::pthread_sigmask(SIG_SETMASK, &all_signals, &previous);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) exec_child(setup, program.c_str(), parent, error_pipe[1]);
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  close_fd(error_pipe[1]);
  if (child < 0) {
    close_fd(error_pipe[0]);
    return fork_errno;
  }
  // Returns at exec (the pipe closes: 0 bytes) or with the child's errno.
  int child_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close_fd(error_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return child_errno;
  }
  pid = child;
  return 0;
}

// Splits one stream into lines and hands them to the callback.
class LineSplitter {
 public:
  LineSplitter(const Subprocess::OutputCallback& callback, bool is_stderr)
      : callback_(callback), is_stderr_(is_stderr) {}

  void feed(const char* data, std::size_t size) {
    std::string_view chunk(data, size);
    while (!chunk.empty()) {
      auto newline = chunk.find('\n');
      if (newline == std::string_view::npos) {
        pending_.append(chunk);
        if (pending_.size() >= kMaxLine) flush();
        return;
      }
      if (pending_.empty()) {
        emit(chunk.substr(0, newline));
      } else {
        pending_.append(chunk.substr(0, newline));
        emit(pending_);
        pending_.clear();
      }
      chunk.remove_prefix(newline + 1);
    }
  }

  // Delivers a final line that had no trailing newline.
  void flush() {
    if (!pending_.empty()) {
      emit(pending_);
      pending_.clear();
    }
  }

 private:
  void emit(std::string_view line) {
    try {
      callback_(line, is_stderr_);
    } catch (...) {
      // The callback's failure must not kill the reader thread (and with it the process).
    }
  }

  const Subprocess::OutputCallback& callback_;
  bool is_stderr_;
  std::string pending_;
};

}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env,
                       OutputCallback on_output)
    : Subprocess(Options{std::move(argv), std::move(env), {}, std::move(on_output)}) {}

Subprocess::Subprocess(Options options) : on_output_(std::move(options.on_output)) {
  if (options.argv.empty() || options.argv[0].empty()) {
    throw std::invalid_argument("Subprocess: empty argv");
  }
  if (options.parent_death_signal < 0 || options.parent_death_signal >= NSIG) {
    throw std::invalid_argument("Subprocess: parent_death_signal is not a signal number");
  }
  for (const auto& arg : options.argv) {
    if (!description_.empty()) description_ += ' ';
    description_ += arg;
  }

  // Environment: the current one with `env` overriding.
  std::vector<std::string> env_strings;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    auto eq = kv.find('=');
    std::string key(kv.substr(0, eq));
    if (!options.env.contains(key)) env_strings.emplace_back(kv);
  }
  for (const auto& [key, value] : options.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> argvp;
  for (auto& s : options.argv) argvp.push_back(s.data());
  argvp.push_back(nullptr);

  // Both ends close-on-exec in the parent; the child gets the write ends as 1 and 2 via dup2
  // (which clears close-on-exec on the new descriptor).
  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  std::array<int, 2> wake_pipe{-1, -1};
  auto close_all = [&] {
    for (auto* p : {&out_pipe, &err_pipe, &wake_pipe}) {
      close_fd((*p)[0]);
      close_fd((*p)[1]);
    }
  };
  if (on_output_) {
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0 ||
        ::pipe2(wake_pipe.data(), O_CLOEXEC) != 0) {
      int err = errno;
      close_all();
      throw_errno(err, "Subprocess: pipe");
    }
  }

  const ChildSetup setup{argvp.data(), envp.data(), out_pipe[1], err_pipe[1],
                         options.working_dir.empty() ? nullptr : options.working_dir.c_str(),
                         options.parent_death_signal};
  int rc = 0;
  try {
    rc = options.parent_death_signal != 0 ? fork_exec(setup, pid_) : spawn(setup, pid_);
  } catch (...) {
    close_all();
    throw;
  }
  if (rc != 0) {
    close_all();
    std::string what = "cannot start " + options.argv[0];
    if (!options.working_dir.empty()) what += " in " + options.working_dir;
    throw_errno(rc, what);
  }
  // Lets wait_for() sleep on the exit instead of polling. Unavailable on old kernels: then poll.
  // (Raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and does not link from C++.)
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));

  if (on_output_) {
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    stdout_fd_ = out_pipe[0];
    stderr_fd_ = err_pipe[0];
    wake_read_fd_ = wake_pipe[0];
    wake_write_fd_ = wake_pipe[1];
    reader_ = std::thread([this] { read_output(); });
  }
}

Subprocess::~Subprocess() {
  {
    std::lock_guard lock(mutex_);
    if (!status_) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);  // in case the child left its group
    }
  }
  wait();
  close_fd(pidfd_);
}

bool Subprocess::signal(int sig) {
  std::lock_guard lock(mutex_);
  if (status_) return false;
  return ::kill(pid_, sig) == 0;
}

bool Subprocess::signal_group(int sig) {
  std::lock_guard lock(mutex_);
  if (status_) return false;
  return ::kill(-pid_, sig) == 0;
}

std::optional<int> Subprocess::reap(bool block) {
  if (block) {
    // Wait for the exit WITHOUT reaping: the reap happens below under the mutex, so signal()
    // can never hit a pid that was reaped and recycled in between.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 &&
           errno == EINTR) {
    }
  }
  std::lock_guard lock(mutex_);
  if (status_) return status_;
  int raw = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &raw, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return std::nullopt;
  // r < 0 (ECHILD): someone else reaped it (SIGCHLD ignored); the status is unknowable.
  status_ = r < 0 ? -1 : decode_status(raw);
  return status_;
}

int Subprocess::wait() {
  int status = *reap(/*block=*/true);
  finish_output();
  return status;
}

std::optional<int> Subprocess::try_wait() {
  auto status = reap(/*block=*/false);
  if (status) finish_output();
  return status;
}

std::optional<int> Subprocess::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto backoff = std::chrono::milliseconds(1);
  while (true) {
    if (auto status = try_wait()) return status;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left.count()));  // readable once the child exited
    } else {
      std::this_thread::sleep_for(std::min(backoff, left));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(50));
    }
  }
}

void Subprocess::finish_output() {
  std::lock_guard lock(reader_mutex_);
  if (!reader_.joinable()) return;
  char byte = 'x';
  while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  reader_.join();
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
  close_fd(wake_read_fd_);
  close_fd(wake_write_fd_);
}

void Subprocess::read_output() {
  LineSplitter out(on_output_, false);
  LineSplitter err(on_output_, true);
  std::array<char, 65536> buffer{};
  bool out_open = true;
  bool err_open = true;

  // Reads what is available on `fd`; returns false at end of file.
  auto read_some = [&](int fd, LineSplitter& splitter) -> bool {
    ssize_t n = 0;
    do {
      n = ::read(fd, buffer.data(), buffer.size());
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      splitter.feed(buffer.data(), static_cast<std::size_t>(n));
      return true;
    }
    return n < 0 && errno == EAGAIN;  // EOF or a hard error both end the stream
  };

  while (out_open || err_open) {
    std::array<pollfd, 3> fds{{{out_open ? stdout_fd_ : -1, POLLIN, 0},
                               {err_open ? stderr_fd_ : -1, POLLIN, 0},
                               {wake_read_fd_, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) out_open = read_some(stdout_fd_, out);
    if (fds[1].revents != 0) err_open = read_some(stderr_fd_, err);
    if (fds[2].revents != 0) {
      // The child was reaped: everything it wrote is already in the pipes. Drain without
      // blocking (a grandchild may still hold the write ends open) and stop.
      std::size_t drained = 0;
      for (auto [fd, open, splitter] : {std::tuple{stdout_fd_, out_open, &out},
                                        std::tuple{stderr_fd_, err_open, &err}}) {
        if (!open) continue;
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        while (drained < kMaxDrain) {
          ssize_t n = ::read(fd, buffer.data(), buffer.size());
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) break;
          drained += static_cast<std::size_t>(n);
          splitter->feed(buffer.data(), static_cast<std::size_t>(n));
        }
      }
      break;
    }
  }
  out.flush();
  err.flush();
}

}  // namespace edfleet::core
