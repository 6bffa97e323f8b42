// End-to-end: the README's `edfleet up` works. Runs the real command with ephemeral ports (its own
// broker and Postgres), waits for its endpoints file, checks that every service answers
// grpc.health.v1 and serves /metrics, publishes and queries through `edfleet publish` / `edfleet
// query`, creates an API key with `edfleet keys` and posts through the gateway with it, installs the
// `learning` rule pack with `edfleet rules install`, drives traffic with `edfleet sim` and finds the
// pack's actions on edfleet.actions.v1, then stops it with SIGTERM: exit 0, nothing left running, the endpoints file removed.
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
#include "edfleet/kafka/topic_reader.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/rules/v1/rules.pb.h"
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
std::pair<int, std::string> run_edfleet(std::vector<std::string> args, const std::string& working_dir = {}) {
  auto captured = std::make_shared<Captured>();
  args.insert(args.begin(), testing::bin_path("edfleet"));
  core::Subprocess process(core::Subprocess::Options{
      std::move(args), {}, working_dir, [captured](std::string_view line, bool) { captured->add(line); }, 0});
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

// `edfleet sim` options for the rule-pack check (see the test for why they make a pack rule fire).
constexpr const char* kSimStreams = "4";
constexpr const char* kSimRate = "20";
constexpr const char* kSimDuration = "5s";
constexpr const char* kSimSeed = "7";
constexpr const char* kSimStart = "2026-11-01T00:00:00Z";

bool process_alive(int pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

TEST_CASE("`edfleet up --ephemeral-ports` starts a working fleet and stops it cleanly on SIGTERM", "[up]") {
  TempDir dir;
  const std::string data_dir = (dir.path / "data").string();
  const std::string endpoints_file = data_dir + "/endpoints.json";
  auto output = std::make_shared<Captured>();
  // Started in the temporary directory, so that its ./.edfleet/endpoints.json lands there.
  core::Subprocess up(core::Subprocess::Options{
      {testing::bin_path("edfleet"), "up", "--ephemeral-ports", "--data-dir", data_dir, "--color", "never",
       "--stop-timeout", "10"},
      {},
      dir.path.string(),
      [output](std::string_view line, bool) { output->add(line); },
      0});
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

    // /metrics is on the admin listener where a service has one (the gateway, whose HTTP port is public).
    const std::string http_address = service.value("admin", service.at("http").get<std::string>());
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
  // The endpoints file holds the fleet's internal_auth secret: its owner alone may read it.
  const auto permissions = std::filesystem::status(endpoints_file).permissions();
  CHECK((permissions & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
        std::filesystem::perms::none);
  CHECK(endpoints.at("internal_auth").at("secret").get<std::string>().size() == 64);

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
  // Without --endpoints or --data-dir, from the directory `up` ran in: the fleet is found all the same.
  auto [found_status, found_output] =
      run_edfleet({"query", "learner", "learner-1", "--tenant", "smoke"}, dir.path.string());
  INFO("edfleet query learner without flags:\n" << found_output);
  CHECK(found_status == 0);
  CHECK_THAT(found_output, Catch::Contains("quiz submissions             3"));

  // `edfleet keys create` finds the gateway's database in the endpoints file; the key authenticates
  // POST /v1/events through the gateway (forwarded to ingest), and nothing else does.
  {
    auto [keys_status, keys_output] = run_edfleet({"keys", "create", "--tenant", "smoke", "--name", "e2e", "--role",
                                                   "service", "--json", "--endpoints", endpoints_file});
    INFO("edfleet keys create:\n" << keys_output);
    REQUIRE(keys_status == 0);
    const auto created = nlohmann::json::parse(keys_output.substr(keys_output.find('{')));
    const std::string key = created.at("key");
    CHECK(key.rfind("efk_", 0) == 0);
    auto [list_status, list_output] =
        run_edfleet({"keys", "list", "--tenant", "smoke", "--endpoints", endpoints_file});
    CHECK(list_status == 0);
    CHECK_THAT(list_output, Catch::Contains(created.at("id").get<std::string>()) && !Catch::Contains(key));

    const std::string gateway_http = services.at("gateway").at("http");
    const auto colon = gateway_http.rfind(':');
    httplib::Client gateway(gateway_http.substr(0, colon), std::stoi(gateway_http.substr(colon + 1)));
    gateway.set_connection_timeout(5);
    const std::string body =
        R"({"id":"00000000-0000-4000-8000-000000000009","tenant":"smoke","type":"quiz.submitted",)"
        R"("source":"e2e.smoke","subject":{"learnerId":"learner-2"},"occurredAt":"2025-07-01T11:00:00Z",)"
        R"("quizSubmission":{"quizId":"q-1","score":9,"maxScore":10}})";
    auto without = gateway.Post("/v1/events", body, "application/json");
    REQUIRE(without);
    CHECK(without->status == 401);
    auto with = gateway.Post("/v1/events", httplib::Headers{{"Authorization", "Bearer " + key}}, body,
                             "application/json");
    REQUIRE(with);
    INFO("POST /v1/events with the key: " << with->body);
    CHECK(with->status == 200);
  }

  // The `learning` pack, installed with `edfleet rules`, fires on the simulator's traffic. Seed and
  // start time are fixed, so the events are always the same; among them are failed first sessions
  // (ops.session_completed, first_session, outcome failed/no_show_tutor/cancelled), on which
  // first_session_follow_up fires at once.
  {
    auto [install_status, install_output] = run_edfleet(
        {"rules", "install", "learning", "--tenant", "acme", "--endpoints", endpoints_file});
    INFO("edfleet rules install:\n" << install_output);
    REQUIRE(install_status == 0);
    CHECK_THAT(install_output, Catch::Contains("first_session_follow_up"));
    auto [list_status, list_output] = run_edfleet({"rules", "list", "--tenant", "acme", "--endpoints", endpoints_file});
    CHECK(list_status == 0);
    CHECK_THAT(list_output, Catch::Contains("tutor_supply_gap"));

    // `rules apply`: a bad file is refused with the file's line numbers; a good one is created, and
    // re-applying it unchanged keeps its version.
    const std::string bad_rules = (dir.path / "bad.rules").string();
    std::ofstream(bad_rules) << "# bad\nrule typo on quiz.submited then award_badge(\"x\")\n";
    auto [bad_status, bad_output] =
        run_edfleet({"rules", "apply", bad_rules, "--tenant", "acme", "--endpoints", endpoints_file});
    INFO("edfleet rules apply (bad):\n" << bad_output);
    CHECK(bad_status == 1);
    CHECK_THAT(bad_output, Catch::Contains(bad_rules + ":2:") && Catch::Contains("nothing applied"));
    const std::string good_rules = (dir.path / "good.rules").string();
    std::ofstream(good_rules) << "rule e2e_badge on quiz.submitted then award_badge(\"e2e\")\n";
    for (int round = 0; round < 2; ++round) {
      auto [apply_status, apply_output] =
          run_edfleet({"rules", "apply", good_rules, "--tenant", "acme", "--endpoints", endpoints_file});
      INFO("edfleet rules apply (round " << round << "):\n" << apply_output);
      CHECK(apply_status == 0);
      CHECK_THAT(apply_output, Catch::Contains("rule e2e_badge version 1"));
    }

    auto [sim_status, sim_output] =
        run_edfleet({"sim", "--tenants", "1", "--streams", kSimStreams, "--rate", kSimRate, "--duration",
                     kSimDuration, "--seed", kSimSeed, "--start-time", kSimStart, "--endpoints", endpoints_file});
    INFO("edfleet sim:\n" << sim_output);
    REQUIRE(sim_status == 0);

    const std::string bootstrap = endpoints.at("kafka").at("bootstrap_servers");
    std::vector<rules::v1::Action> actions;
    const bool fired = testing::wait_until(
        [&] {
          actions.clear();
          for (const auto& message : kafka::read_topic(bootstrap, std::string(contracts::kActionsTopic))) {
            rules::v1::Action action;
            if (!action.ParseFromString(message.value)) action.set_rule_id("<not an Action>");
            actions.push_back(action);
          }
          return std::any_of(actions.begin(), actions.end(),
                             [](const auto& a) { return a.rule_id() == "first_session_follow_up"; });
        },
        std::chrono::seconds(20));
    INFO(actions.size() << " actions");
    CHECK(fired);
    for (const auto& action : actions) {
      INFO(action.ShortDebugString());
      CHECK(action.tenant() == "acme");
      CHECK_FALSE(action.rule_id().empty());
      CHECK(action.rule_version() >= 1);
      CHECK(action.evidence().event_ids_size() >= 1);
      for (const auto& id : action.evidence().event_ids()) CHECK_FALSE(id.empty());
    }
  }

  // SIGTERM: everything stops, in order, and the command exits 0.
  REQUIRE(up.signal(SIGTERM));
  const auto status = up.wait_for(std::chrono::seconds(120));
  INFO("edfleet up output:\n" << output->get());
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK_FALSE(fs::exists(endpoints_file));
  CHECK_FALSE(fs::exists(dir.path / ".edfleet" / "endpoints.json"));  // the copy for flag-less commands too
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
