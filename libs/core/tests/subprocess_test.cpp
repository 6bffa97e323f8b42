#include "edfleet/core/subprocess.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using edfleet::core::Subprocess;

namespace {

// Collects the lines a child writes, thread-safely (the callback runs on the reader thread).
struct Lines {
  std::mutex mutex;
  std::condition_variable added;
  std::vector<std::pair<std::string, bool>> lines;
  Subprocess::OutputCallback callback() {
    return [this](std::string_view line, bool is_stderr) {
      {
        std::lock_guard lock(mutex);
        lines.emplace_back(std::string(line), is_stderr);
      }
      added.notify_all();
    };
  }
  // The first line starting with `prefix`, waiting up to `timeout` for it.
  std::optional<std::string> wait_for_line(const std::string& prefix, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex);
    std::optional<std::string> found;
    added.wait_for(lock, timeout, [&] {
      for (const auto& [line, is_stderr] : lines) {
        if (line.rfind(prefix, 0) == 0) found = line;
      }
      return found.has_value();
    });
    return found;
  }
};

// The start-up path under test: posix_spawn (0), or fork + exec (a parent death signal).
int start_path() { return GENERATE(0, SIGTERM); }

// Whether `pid` (not necessarily our child) exits within `timeout`, waiting on its pidfd.
bool exits_within(pid_t pid, std::chrono::milliseconds timeout) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;  // already gone
  pollfd p{fd, POLLIN, 0};
  const bool exited = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  ::close(fd);
  return exited;
}

}  // namespace

TEST_CASE("Subprocess delivers stdout and stderr line by line", "[subprocess]") {
  const int death_signal = start_path();
  Lines lines;
  Subprocess child(Subprocess::Options{.argv = {"/bin/sh", "-c", "echo one; echo two >&2; printf 'three\\nfour'"},
                                       .on_output = lines.callback(),
                                       .parent_death_signal = death_signal});
  REQUIRE(child.wait() == 0);
  // Everything written before exit is delivered before wait() returns; stdout keeps its order.
  std::vector<std::string> out;
  std::vector<std::string> err;
  for (const auto& [line, is_stderr] : lines.lines) (is_stderr ? err : out).push_back(line);
  CHECK(out == std::vector<std::string>{"one", "three", "four"});
  CHECK(err == std::vector<std::string>{"two"});
}

TEST_CASE("Subprocess delivers large output completely", "[subprocess]") {
  Lines lines;
  Subprocess child({"/bin/sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done"},
                   {}, lines.callback());
  REQUIRE(child.wait() == 0);
  REQUIRE(lines.lines.size() == 20000);
  CHECK(lines.lines.front().first == "line0");
  CHECK(lines.lines.back().first == "line19999");
}

TEST_CASE("Subprocess reports the exit status", "[subprocess]") {
  Subprocess child({"/bin/sh", "-c", "exit 7"});
  CHECK(child.wait() == 7);
  CHECK(child.wait() == 7);  // repeatable
  CHECK_FALSE(child.running());
  CHECK(child.try_wait() == 7);
  CHECK_FALSE(child.signal(SIGTERM));  // already reaped: nothing is sent
}

TEST_CASE("Subprocess merges env over the current environment and sets the working dir",
          "[subprocess]") {
  const int death_signal = start_path();
  ::setenv("EDFLEET_SUBPROCESS_TEST_INHERITED", "inherited", 1);
  ::setenv("EDFLEET_SUBPROCESS_TEST_OVERRIDDEN", "old", 1);
  Lines lines;
  Subprocess child(Subprocess::Options{
      .argv = {"sh", "-c",
               "echo $EDFLEET_SUBPROCESS_TEST_INHERITED $EDFLEET_SUBPROCESS_TEST_OVERRIDDEN "
               "$EDFLEET_SUBPROCESS_TEST_NEW; pwd"},
      .env = {{"EDFLEET_SUBPROCESS_TEST_OVERRIDDEN", "new"}, {"EDFLEET_SUBPROCESS_TEST_NEW", "added"}},
      .working_dir = "/tmp",
      .on_output = lines.callback(),
      .parent_death_signal = death_signal});
  REQUIRE(child.wait() == 0);
  REQUIRE(lines.lines.size() == 2);
  CHECK(lines.lines[0].first == "inherited new added");
  CHECK(std::filesystem::path(lines.lines[1].first) == std::filesystem::canonical("/tmp"));
}

TEST_CASE("Subprocess signal() stops the child and wait() reports -signal", "[subprocess]") {
  Lines lines;
  // The child says it is ready before sleeping, so the signal certainly arrives while it runs.
  Subprocess child({"/bin/sh", "-c", "echo ready; exec sleep 30"}, {}, lines.callback());
  CHECK(child.pid() > 0);
  CHECK(child.running());
  CHECK_FALSE(child.try_wait().has_value());
  CHECK_FALSE(child.wait_for(std::chrono::milliseconds(20)).has_value());
  REQUIRE(child.signal(SIGTERM));
  CHECK(child.wait() == -SIGTERM);
  CHECK_FALSE(child.running());
}

TEST_CASE("Subprocess runs in its own process group with default signal handling",
          "[subprocess]") {
  const int death_signal = start_path();
  // The parent ignores SIGINT and blocks SIGTERM; the child must not inherit that (it gets default
  // dispositions and an empty mask).
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ::sigaction(SIGINT, &ignore, &previous);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigset_t previous_mask;
  ::pthread_sigmask(SIG_BLOCK, &term, &previous_mask);
  Lines lines;
  Subprocess child(Subprocess::Options{.argv = {"/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status; exec sleep 30"},
                                       .on_output = lines.callback(),
                                       .parent_death_signal = death_signal});
  ::sigaction(SIGINT, &previous, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  CHECK(lines.wait_for_line("SigBlk:", std::chrono::seconds(10)).value_or("") == "SigBlk:\t0000000000000000");
  // (glibc's posix_spawn leaves its two internal signals, 32 and 33, ignored: only SIGINT matters.)
  const auto ignored = lines.wait_for_line("SigIgn:", std::chrono::seconds(10));
  REQUIRE(ignored);
  CHECK((std::stoull(ignored->substr(8), nullptr, 16) & (1ULL << (SIGINT - 1))) == 0);

  CHECK(::getpgid(child.pid()) == child.pid());
  CHECK(::getpgid(child.pid()) != ::getpgrp());
  REQUIRE(child.signal_group(SIGINT));
  CHECK(child.wait() == -SIGINT);
}

TEST_CASE("Subprocess wait_for returns the status once the child exits", "[subprocess]") {
  Subprocess child({"/bin/sh", "-c", "read line; exit 3"});  // stdin is /dev/null: exits at once
  auto status = child.wait_for(std::chrono::seconds(10));
  REQUIRE(status.has_value());
  CHECK(*status == 3);
}

TEST_CASE("Subprocess destructor kills and reaps a running child", "[subprocess]") {
  pid_t pid = 0;
  {
    Subprocess child({"sleep", "30"});
    pid = child.pid();
    REQUIRE(::kill(pid, 0) == 0);
  }
  // Reaped: the pid no longer exists (not even as a zombie we would have to collect).
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}

TEST_CASE("Subprocess reports a program that cannot be started", "[subprocess]") {
  const int death_signal = start_path();
  for (std::string program : {"edfleet-no-such-program-xyz", "/etc/hostname"}) {  // missing; not executable
    try {
      Subprocess child(Subprocess::Options{.argv = {program}, .parent_death_signal = death_signal});
      FAIL("expected an exception for " << program);
    } catch (const std::system_error& e) {
      CHECK(std::string(e.what()).find(program) != std::string::npos);
    }
  }
  CHECK_THROWS_AS(Subprocess(std::vector<std::string>{}), std::invalid_argument);
  CHECK_THROWS_AS(Subprocess(Subprocess::Options{.argv = {"true"}, .parent_death_signal = -1}), std::invalid_argument);
}

TEST_CASE("Subprocess does not leak the parent's descriptors", "[subprocess]") {
  const int death_signal = start_path();
  int fds[2];
  REQUIRE(::pipe(fds) == 0);  // deliberately without O_CLOEXEC
  Lines lines;
  Subprocess child(Subprocess::Options{.argv = {"/bin/sh", "-c", "read line || echo eof; ls /proc/self/fd | wc -l"},
                                       .on_output = lines.callback(),
                                       .parent_death_signal = death_signal});
  REQUIRE(child.wait() == 0);
  ::close(fds[0]);
  ::close(fds[1]);
  REQUIRE(lines.lines.size() == 2);
  CHECK(lines.lines[0].first == "eof");  // stdin is /dev/null
  // 0, 1, 2 and the directory fd that ls itself opens.
  CHECK(std::stoi(lines.lines[1].first) <= 4);
}

TEST_CASE("Subprocess parent_death_signal: the child gets it when the thread that started it ends",
          "[subprocess]") {
  std::unique_ptr<Subprocess> with_signal;
  std::unique_ptr<Subprocess> without;
  std::thread([&] {
    with_signal = std::make_unique<Subprocess>(
        Subprocess::Options{.argv = {"sleep", "60"}, .parent_death_signal = SIGTERM});
    without = std::make_unique<Subprocess>(Subprocess::Options{.argv = {"sleep", "60"}});
  }).join();
  CHECK(with_signal->wait_for(std::chrono::seconds(10)) == std::optional<int>(-SIGTERM));
  // The kernel handles all children of the ending thread at once, so this one was spared for good.
  CHECK(without->running());
}

// Run in a child process by the next test case (hidden: "[.]"): starts a grandchild with a parent
// death signal, says its pid, and waits to be SIGKILLed.
TEST_CASE("subprocess parent death helper", "[.]") {
  Subprocess grandchild(Subprocess::Options{.argv = {"sleep", "60"}, .parent_death_signal = SIGTERM});
  std::printf("grandchild %d\n", static_cast<int>(grandchild.pid()));
  std::fflush(stdout);
  ::pause();
}

TEST_CASE("Subprocess parent_death_signal: a SIGKILLed parent leaves no orphan", "[subprocess]") {
  Lines lines;
  Subprocess parent({"/proc/self/exe", "subprocess parent death helper"}, {}, lines.callback());
  const auto line = lines.wait_for_line("grandchild ", std::chrono::seconds(20));
  REQUIRE(line);
  const pid_t grandchild = std::stoi(line->substr(11));
  REQUIRE(::kill(grandchild, 0) == 0);

  REQUIRE(parent.signal(SIGKILL));  // no destructor runs in the parent
  CHECK(parent.wait() == -SIGKILL);
  const bool exited = exits_within(grandchild, std::chrono::seconds(10));
  if (!exited) ::kill(grandchild, SIGKILL);  // do not leave it behind when the test fails
  CHECK(exited);
}
