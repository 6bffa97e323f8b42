// End-to-end: the README's `edfleet up` works. Runs the real command with ephemeral ports (its own
// broker and Postgres), waits for its endpoints file, checks that every service answers
// grpc.health.v1 and serves /metrics, publishes and queries through `edfleet publish` / `edfleet
// query`, then stops it with SIGTERM: exit 0, nothing left running, the endpoints file removed.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/core/subprocess.h"
#include "edfleet/grpc/health_client.h"
#include "edfleet/testing/testing.h"

namespace {

using namespace edfleet;
namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "edfleet-e2e-up-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
    // Postgres runs as the `postgres` user when the test runs as root: it must reach the data dir.
    ::chmod(path.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Output of a child, kept for failure messages.
struct Captured {
  std::mutex mutex;
  std::string text;
  void add(std::string_view line) {
    std::lock_guard lock(mutex);
    text.append(line);
    text += '\n';
  }
  std::string get() {
    std::lock_guard lock(mutex);
    return text;
  }
};

// Runs `edfleet <args>` to completion; returns (status, output).
std::pair<int, std::string> run_edfleet(std::vector<std::string> args) {
  auto captured = std::make_shared<Captured>();
  args.insert(args.begin(), testing::bin_path("edfleet"));
  core::Subprocess process(std::move(args), {}, [captured](std::string_view line, bool) { captured->add(line); });
  auto status = process.wait_for(std::chrono::seconds(60));
  if (!status) {
    process.signal(SIGKILL);
    status = process.wait();
  }
  return {*status, captured->get()};
}

// Stops `edfleet up` gracefully if the test ends early, so its services never outlive the test.
struct StopOnExit {
  core::Subprocess& up;
  ~StopOnExit() {
    if (up.running()) {
      up.signal(SIGTERM);
      if (!up.wait_for(std::chrono::seconds(60))) up.signal_group(SIGKILL);
    }
  }
};

bool process_alive(int pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

TEST_CASE("`edfleet up --ephemeral-ports` starts a working fleet and stops it cleanly on SIGTERM", "[up]") {
  TempDir dir;
  const std::string data_dir = (dir.path / "data").string();
  const std::string endpoints_file = data_dir + "/endpoints.json";
  auto output = std::make_shared<Captured>();
  core::Subprocess up({testing::bin_path("edfleet"), "up", "--ephemeral-ports", "--data-dir", data_dir, "--color",
                       "never", "--stop-timeout", "10"},
                      {}, [output](std::string_view line, bool) { output->add(line); });
  StopOnExit stop_on_exit{up};

  const bool ready = testing::wait_until([&] { return fs::exists(endpoints_file) || !up.running(); },
                                         std::chrono::seconds(180));
  INFO("edfleet up output:\n" << output->get());
  REQUIRE(ready);
  REQUIRE(up.running());

  std::ifstream in(endpoints_file);
  const auto endpoints = nlohmann::json::parse(in);
  REQUIRE(endpoints.at("pid") == up.pid());
  const auto& services = endpoints.at("services");
  std::vector<std::string> names;
  std::vector<int> pids;
  for (const auto& [name, service] : services.items()) {
    names.push_back(name);
    pids.push_back(service.at("pid").get<int>());
    INFO("service " << name);
    const std::string grpc_address = service.at("grpc");
    auto channel = ::grpc::CreateChannel(grpc_address, ::grpc::InsecureChannelCredentials());
    auto health = edfleet::grpc::check_health(channel, "", std::chrono::seconds(5));
    INFO("health: " << health.status.error_message());
    CHECK(health.serving_ok());

    const std::string http_address = service.at("http");
    const auto colon = http_address.rfind(':');
    httplib::Client http(http_address.substr(0, colon), std::stoi(http_address.substr(colon + 1)));
    http.set_connection_timeout(5);
    auto metrics = http.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    auto healthz = http.Get("/healthz");
    REQUIRE(healthz);
    CHECK(healthz->status == 200);
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"analytics", "gateway", "ingest", "notify", "rules", "summaries"});

  // `edfleet publish` and `edfleet query` find the fleet through the endpoints file.
  const std::string events_file = (dir.path / "events.jsonl").string();
  {
    std::ofstream events(events_file);
    for (int i = 1; i <= 3; ++i) {
      events << R"({"id":"00000000-0000-4000-8000-00000000000)" << i
             << R"(","tenant":"smoke","type":"quiz.submitted","source":"e2e.smoke",)"
             << R"("subject":{"learnerId":"learner-1"},"occurredAt":"2025-07-0)" << i << R"(T10:00:00Z",)"
             << R"("quizSubmission":{"quizId":"q-1","score":)" << i * 2 << R"(,"maxScore":10}})" << "\n";
    }
  }
  auto [publish_status, publish_output] = run_edfleet({"publish", events_file, "--endpoints", endpoints_file});
  INFO("edfleet publish:\n" << publish_output);
  CHECK(publish_status == 0);
  CHECK_THAT(publish_output, Catch::Contains("3 events: 3 accepted, 0 duplicates, 0 rejected"));

  std::string query_output;
  const bool counted = testing::wait_until(
      [&] {
        auto [status, text] = run_edfleet({"query", "counts", "--tenant", "smoke", "--from", "2025-07-01", "--to",
                                           "2025-07-03", "--json", "--endpoints", endpoints_file});
        query_output = text;
        if (status != 0) return false;
        auto json = nlohmann::json::parse(text, nullptr, false);
        return !json.is_discarded() && json.value("total", std::string()) == "3";
      },
      std::chrono::seconds(60));
  INFO("edfleet query counts:\n" << query_output);
  CHECK(counted);
  auto [learner_status, learner_output] =
      run_edfleet({"query", "learner", "learner-1", "--tenant", "smoke", "--endpoints", endpoints_file});
  INFO("edfleet query learner:\n" << learner_output);
  CHECK(learner_status == 0);
  CHECK_THAT(learner_output, Catch::Contains("quiz submissions             3"));
  CHECK_THAT(learner_output, Catch::Contains("quiz average                 40.0%"));

  // SIGTERM: everything stops, in order, and the command exits 0.
  REQUIRE(up.signal(SIGTERM));
  const auto status = up.wait_for(std::chrono::seconds(120));
  INFO("edfleet up output:\n" << output->get());
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK_FALSE(fs::exists(endpoints_file));
  for (int pid : pids) CHECK_FALSE(process_alive(pid));
  const std::string text = output->get();
  const auto gateway_stop = text.find("stopping gateway");
  const auto ingest_stop = text.find("stopping ingest");
  const auto broker_stop = text.find("stopping broker");
  const auto postgres_stop = text.find("stopping postgres");
  CHECK(gateway_stop != std::string::npos);
  CHECK(gateway_stop < ingest_stop);
  CHECK(ingest_stop < broker_stop);
  CHECK(broker_stop < postgres_stop);
  CHECK(postgres_stop != std::string::npos);
}

TEST_CASE("`edfleet up` stops everything and exits 1 when a service dies", "[up]") {
  TempDir dir;
  const std::string data_dir = (dir.path / "data").string();
  const std::string endpoints_file = data_dir + "/endpoints.json";
  auto output = std::make_shared<Captured>();
  core::Subprocess up({testing::bin_path("edfleet"), "up", "--ephemeral-ports", "--services", "ingest,analytics",
                       "--data-dir", data_dir, "--color", "never"},
                      {}, [output](std::string_view line, bool) { output->add(line); });
  StopOnExit stop_on_exit{up};
  const bool ready = testing::wait_until([&] { return fs::exists(endpoints_file) || !up.running(); },
                                         std::chrono::seconds(120));
  INFO("edfleet up output:\n" << output->get());
  REQUIRE(ready);
  REQUIRE(up.running());
  std::ifstream in(endpoints_file);
  const auto endpoints = nlohmann::json::parse(in);
  const int analytics_pid = endpoints.at("services").at("analytics").at("pid");
  const int ingest_pid = endpoints.at("services").at("ingest").at("pid");

  REQUIRE(::kill(analytics_pid, SIGKILL) == 0);
  const auto status = up.wait_for(std::chrono::seconds(60));
  INFO("edfleet up output:\n" << output->get());
  REQUIRE(status.has_value());
  CHECK(*status == 1);
  CHECK_THAT(output->get(), Catch::Contains("analytics was killed by signal 9") &&
                                Catch::Contains("unexpectedly") && Catch::Contains("stopping ingest"));
  CHECK_FALSE(process_alive(ingest_pid));
  CHECK_FALSE(fs::exists(endpoints_file));
}

TEST_CASE("`edfleet up` uses a given Kafka and Postgres instead of starting its own", "[up]") {
  TempDir dir;
  const std::string endpoints_file = (dir.path / "endpoints.json").string();
  const std::string kafka = testing::shared_broker().bootstrap_servers();
  const std::string postgres = testing::shared_postgres().url("postgres");
  auto output = std::make_shared<Captured>();
  core::Subprocess up({testing::bin_path("edfleet"), "up", "--ephemeral-ports", "--services", "ingest", "--endpoints",
                       endpoints_file, "--kafka-bootstrap", kafka, "--database-url", postgres, "--color", "never"},
                      {}, [output](std::string_view line, bool) { output->add(line); });
  StopOnExit stop_on_exit{up};
  const bool ready = testing::wait_until([&] { return fs::exists(endpoints_file) || !up.running(); },
                                         std::chrono::seconds(120));
  INFO("edfleet up output:\n" << output->get());
  REQUIRE(ready);
  REQUIRE(up.running());
  std::ifstream in(endpoints_file);
  const auto endpoints = nlohmann::json::parse(in);
  CHECK(endpoints.at("kafka").at("bootstrap_servers") == kafka);
  CHECK(endpoints.at("postgres").at("url") == postgres);
  // ingest migrates its database at start-up, so being ready means `up` created edfleet_ingest.
  auto channel = ::grpc::CreateChannel(endpoints.at("services").at("ingest").at("grpc").get<std::string>(),
                                       ::grpc::InsecureChannelCredentials());
  CHECK(edfleet::grpc::check_health(channel).serving_ok());

  REQUIRE(up.signal(SIGTERM));
  const auto status = up.wait_for(std::chrono::seconds(60));
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  const std::string text = output->get();
  CHECK(text.find("broker    |") == std::string::npos);
  CHECK(text.find("stopping postgres") == std::string::npos);
  CHECK_THAT(text, Catch::Contains("created database edfleet_ingest"));
}

// `--data-dir` keeps Postgres between runs, but the embedded Kafka starts empty each run. Events
// published after a restart must still be counted: analytics' stored offset is beyond the end of the
// new (empty) topic, so its consumer treats it as out of range and starts at the earliest record.
TEST_CASE("`edfleet up --data-dir` keeps counting after a restart with a new embedded Kafka", "[up]") {
  TempDir dir;
  const std::string data_dir = (dir.path / "data").string();
  const std::string endpoints_file = data_dir + "/endpoints.json";
  const std::string events_file = (dir.path / "event.json").string();
  auto publish_and_count = [&](int n) {
    {
      std::ofstream events(events_file, std::ios::trunc);
      events << R"({"id":"00000000-0000-4000-8000-0000000000a)" << n
             << R"(","tenant":"restart","type":"quiz.submitted","source":"e2e.restart",)"
             << R"("subject":{"learnerId":"learner-1"},"occurredAt":"2025-08-01T10:00:00Z",)"
             << R"("quizSubmission":{"quizId":"q-1","score":5,"maxScore":10}})" << "\n";
    }
    auto [status, text] = run_edfleet({"publish", events_file, "--endpoints", endpoints_file});
    INFO(text);
    REQUIRE(status == 0);
    return testing::wait_until(
        [&] {
          auto [query_status, json_text] = run_edfleet({"query", "counts", "--tenant", "restart", "--from",
                                                        "2025-08-01", "--to", "2025-08-01", "--json",
                                                        "--endpoints", endpoints_file});
          auto json = nlohmann::json::parse(json_text, nullptr, false);
          return query_status == 0 && !json.is_discarded() && json.value("total", std::string()) == std::to_string(n);
        },
        std::chrono::seconds(15));
  };
  for (int run = 1; run <= 2; ++run) {
    INFO("run " << run);
    auto output = std::make_shared<Captured>();
    core::Subprocess up({testing::bin_path("edfleet"), "up", "--ephemeral-ports", "--services", "ingest,analytics",
                         "--data-dir", data_dir, "--color", "never"},
                        {}, [output](std::string_view line, bool) { output->add(line); });
    StopOnExit stop_on_exit{up};
    const bool ready = testing::wait_until([&] { return fs::exists(endpoints_file) || !up.running(); },
                                           std::chrono::seconds(120));
    INFO("edfleet up output:\n" << output->get());
    REQUIRE(ready);
    REQUIRE(up.running());
    CHECK(publish_and_count(run));
    REQUIRE(up.signal(SIGTERM));
    REQUIRE(up.wait_for(std::chrono::seconds(60)) == std::optional<int>(0));
  }
}
