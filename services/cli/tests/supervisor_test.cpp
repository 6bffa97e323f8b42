#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "edfleet/core/clock.h"
#include "supervisor.h"

using namespace edfleet::cli;
using edfleet::core::ManualClock;
namespace fs = std::filesystem;

namespace {

// A scripted child. Time passes on the ManualClock whenever the supervisor polls it, so timeouts are
// exercised without waiting for them.
struct FakeChild final : ChildProcess {
  struct Script {
    bool exits_on_sigterm = true;
    std::optional<int> exit_at_launch;       // dies immediately with this status
  };
  FakeChild(int pid, Script script, ManualClock& clock, std::vector<std::string>& journal, std::string name)
      : pid_(pid), script_(script), clock_(clock), journal_(journal), name_(std::move(name)) {
    status_ = script.exit_at_launch;
  }
  int pid() const override { return pid_; }
  bool signal(int signal) override {
    journal_.push_back(name_ + ":" + (signal == SIGTERM ? "TERM" : std::to_string(signal)));
    if (status_) return false;
    if (signal == SIGTERM && script_.exits_on_sigterm) status_ = 0;
    return true;
  }
  void kill() override {
    journal_.push_back(name_ + ":KILL");
    if (!status_) status_ = -SIGKILL;
  }
  std::optional<int> try_wait() override {
    clock_.advance(std::chrono::milliseconds(10));
    return status_;
  }
  std::optional<int> wait_for(std::chrono::milliseconds timeout) override {
    if (!status_) clock_.advance(timeout);
    if (on_wait) on_wait();
    return status_;
  }
  void exit(int status) { status_ = status; }
  std::function<void()> on_wait;

  int pid_;
  Script script_;
  ManualClock& clock_;
  std::vector<std::string>& journal_;
  std::string name_;
  std::optional<int> status_;
};

struct FakeLauncher final : ProcessLauncher {
  FakeLauncher(ManualClock& clock, std::vector<std::string>& journal) : clock_(clock), journal_(journal) {}
  std::unique_ptr<ChildProcess> launch(const LaunchSpec& spec,
                                       std::function<void(std::string_view)> on_line) override {
    journal_.push_back(spec.name + ":launch");
    if (fail) throw std::runtime_error("no such program " + spec.argv.at(0));
    on_line("hello from " + spec.name);
    auto child = std::make_unique<FakeChild>(100 + static_cast<int>(children.size()), scripts[spec.name], clock_,
                                             journal_, spec.name);
    children[spec.name] = child.get();
    if (ready_content.count(spec.name) != 0) {
      std::ofstream(spec.env.at("READY")) << ready_content[spec.name];
    }
    return child;
  }
  ManualClock& clock_;
  std::vector<std::string>& journal_;
  bool fail = false;
  std::map<std::string, FakeChild::Script> scripts;
  std::map<std::string, std::string> ready_content;   // written at launch
  std::map<std::string, FakeChild*> children;
};

struct Fixture {
  fs::path dir;
  ManualClock clock{ManualClock(edfleet::core::Timestamp{})};
  std::vector<std::string> journal;
  std::vector<std::string> output;
  std::vector<std::string> notes;
  StopRequest stop;
  FakeLauncher launcher{clock, journal};
  Supervisor supervisor;

  Fixture()
      : dir(fs::temp_directory_path() / ("edfleet-supervisor-test-" + std::to_string(::getpid()))),
        supervisor(launcher, stop, clock,
                   Supervisor::Options{std::chrono::seconds(5), std::chrono::seconds(15), std::chrono::milliseconds(1)},
                   [this](std::string_view name, std::string_view line) {
                     output.push_back(std::string(name) + "|" + std::string(line));
                   },
                   [this](std::string_view note) { notes.emplace_back(note); }) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Fixture() { fs::remove_all(dir); }

  LaunchSpec spec(const std::string& name) {
    return {name, {"/bin/" + name}, {{"READY", ready_path(name)}}};
  }
  std::string ready_path(const std::string& name) { return (dir / (name + ".ready")).string(); }
};

}  // namespace

TEST_CASE_METHOD(Fixture, "a child is ready when its ready file holds JSON") {
  launcher.ready_content["ingest"] = R"({"service":"ingest","grpc_port":7101})";
  auto ready = supervisor.start(spec("ingest"), ready_path("ingest"));
  REQUIRE(ready.ok());
  CHECK(ready->at("grpc_port") == 7101);
  CHECK(output == std::vector<std::string>{"ingest|hello from ingest"});
  CHECK(supervisor.pid("ingest") == 100);
}

TEST_CASE_METHOD(Fixture, "a stale ready file is not taken for readiness") {
  std::ofstream(ready_path("ingest")) << R"({"stale":true})";
  launcher.scripts["ingest"].exit_at_launch = 3;
  auto ready = supervisor.start(spec("ingest"), ready_path("ingest"));
  REQUIRE_FALSE(ready.ok());
  CHECK(ready.error().code == edfleet::core::ErrorCode::kUnavailable);
  CHECK(ready.error().message == "ingest exited with status 3 before it was ready");
  CHECK_FALSE(fs::exists(ready_path("ingest")));
}

TEST_CASE_METHOD(Fixture, "half-written ready files are waited out") {
  launcher.ready_content["ingest"] = R"({"service":)";
  auto ready = supervisor.start(spec("ingest"), ready_path("ingest"));
  REQUIRE_FALSE(ready.ok());
  CHECK(ready.error().code == edfleet::core::ErrorCode::kDeadlineExceeded);
  CHECK_THAT(ready.error().message, Catch::Contains("not ready after 5 s"));
  // It was stopped, gently.
  CHECK(journal == std::vector<std::string>{"ingest:launch", "ingest:TERM"});
}

TEST_CASE_METHOD(Fixture, "a program that cannot start is reported") {
  launcher.fail = true;
  auto ready = supervisor.start(spec("rules"), ready_path("rules"));
  REQUIRE_FALSE(ready.ok());
  CHECK(ready.error().message == "cannot start rules: no such program /bin/rules");
  CHECK(supervisor.size() == 0);
}

TEST_CASE_METHOD(Fixture, "a stop request during start-up stops the starting child") {
  stop.request();
  auto ready = supervisor.start(spec("ingest"), ready_path("ingest"));
  REQUIRE_FALSE(ready.ok());
  CHECK(ready.error().code == edfleet::core::ErrorCode::kFailedPrecondition);
  CHECK(journal == std::vector<std::string>{"ingest:launch", "ingest:TERM"});
}

TEST_CASE_METHOD(Fixture, "watch returns on a stop request or an unexpected exit") {
  launcher.ready_content["ingest"] = "{}";
  launcher.ready_content["analytics"] = "{}";
  REQUIRE(supervisor.start(spec("ingest"), ready_path("ingest")).ok());
  REQUIRE(supervisor.start(spec("analytics"), ready_path("analytics")).ok());

  SECTION("a child dies") {
    launcher.children["analytics"]->exit(-SIGSEGV);
    auto exit = supervisor.watch();
    REQUIRE(exit.has_value());
    CHECK(exit->name == "analytics");
    CHECK(exit->status == -SIGSEGV);
    CHECK_THAT(describe_exit(exit->status), Catch::StartsWith("was killed by signal 11"));
    // Stopping skips the dead one and stops the other.
    auto exits = supervisor.stop_all();
    REQUIRE(exits.size() == 2);
    CHECK(exits[0].name == "analytics");
    CHECK(exits[1].name == "ingest");
    CHECK(exits[1].status == 0);
    CHECK(journal.back() == "ingest:TERM");
  }
  SECTION("stop requested") {
    stop.request();
    CHECK_FALSE(supervisor.watch().has_value());
  }
}

TEST_CASE_METHOD(Fixture, "stop_all goes in reverse order and escalates to SIGKILL") {
  for (auto name : {"broker", "ingest", "analytics"}) launcher.ready_content[name] = "{}";
  launcher.scripts["ingest"].exits_on_sigterm = false;
  for (auto name : {"broker", "ingest", "analytics"}) REQUIRE(supervisor.start(spec(name), ready_path(name)).ok());
  journal.clear();
  stop.request();

  auto exits = supervisor.stop_all();
  CHECK(journal == std::vector<std::string>{"analytics:TERM", "ingest:TERM", "ingest:KILL", "broker:TERM"});
  REQUIRE(exits.size() == 3);
  CHECK(exits[1].status == -SIGKILL);
  CHECK(std::find(notes.begin(), notes.end(), "ingest did not stop within 15 s; killing it") != notes.end());
}

TEST_CASE_METHOD(Fixture, "a second stop request kills without waiting") {
  for (auto name : {"ingest", "analytics"}) launcher.ready_content[name] = "{}";
  for (auto name : {"ingest", "analytics"}) launcher.scripts[name].exits_on_sigterm = false;
  for (auto name : {"ingest", "analytics"}) REQUIRE(supervisor.start(spec(name), ready_path(name)).ok());
  journal.clear();
  stop.request();
  // The operator presses Ctrl-C again while analytics is being stopped.
  launcher.children["analytics"]->on_wait = [this] {
    if (stop.count() == 1) stop.request();
  };
  auto start = clock.steady_now();
  supervisor.stop_all();
  CHECK(journal == std::vector<std::string>{"analytics:TERM", "analytics:KILL", "ingest:KILL"});
  CHECK(clock.steady_now() - start < std::chrono::seconds(15));
}
