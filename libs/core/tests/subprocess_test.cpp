#include "edfleet/core/subprocess.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

using edfleet::core::Subprocess;

namespace {

// Collects the lines a child writes, thread-safely (the callback runs on the reader thread).
struct Lines {
  std::mutex mutex;
  std::vector<std::pair<std::string, bool>> lines;
  Subprocess::OutputCallback callback() {
    return [this](std::string_view line, bool is_stderr) {
      std::lock_guard lock(mutex);
      lines.emplace_back(std::string(line), is_stderr);
    };
  }
};

}  // namespace

TEST_CASE("Subprocess delivers stdout and stderr line by line", "[subprocess]") {
  Lines lines;
  Subprocess child({"/bin/sh", "-c", "echo one; echo two >&2; printf 'three\\nfour'"}, {},
                   lines.callback());
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
  ::setenv("EDFLEET_SUBPROCESS_TEST_INHERITED", "inherited", 1);
  ::setenv("EDFLEET_SUBPROCESS_TEST_OVERRIDDEN", "old", 1);
  Lines lines;
  Subprocess child(Subprocess::Options{
      .argv = {"sh", "-c",
               "echo $EDFLEET_SUBPROCESS_TEST_INHERITED $EDFLEET_SUBPROCESS_TEST_OVERRIDDEN "
               "$EDFLEET_SUBPROCESS_TEST_NEW; pwd"},
      .env = {{"EDFLEET_SUBPROCESS_TEST_OVERRIDDEN", "new"}, {"EDFLEET_SUBPROCESS_TEST_NEW", "added"}},
      .working_dir = "/tmp",
      .on_output = lines.callback()});
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
  // The parent ignores SIGINT; the child must not inherit that (it gets default dispositions).
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ::sigaction(SIGINT, &ignore, &previous);
  Lines lines;
  Subprocess child({"/bin/sh", "-c", "exec sleep 30"}, {}, lines.callback());
  ::sigaction(SIGINT, &previous, nullptr);

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
  try {
    Subprocess child({"edfleet-no-such-program-xyz"});
    FAIL("expected an exception");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find("edfleet-no-such-program-xyz") != std::string::npos);
  }
  CHECK_THROWS_AS(Subprocess(std::vector<std::string>{}), std::invalid_argument);
}

TEST_CASE("Subprocess does not leak the parent's descriptors", "[subprocess]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);  // deliberately without O_CLOEXEC
  Lines lines;
  Subprocess child({"/bin/sh", "-c", "ls /proc/self/fd | wc -l"}, {}, lines.callback());
  REQUIRE(child.wait() == 0);
  ::close(fds[0]);
  ::close(fds[1]);
  REQUIRE(lines.lines.size() == 1);
  // 0, 1, 2 and the directory fd that ls itself opens.
  CHECK(std::stoi(lines.lines[0].first) <= 4);
}
