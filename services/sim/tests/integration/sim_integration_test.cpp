// edfleet sim against a real edfleet-ingest (the built binary, with the test binary's embedded Kafka
// and a fresh Postgres database): everything sent is accepted and lands on edfleet.events.v1; a
// recorded JSONL file replays to the same accepted count, and replaying it again is all duplicates;
// the edfleet-sim binary finds ingest through `edfleet up`'s endpoints file and prints JSON.
#include <catch2/catch.hpp>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/sim_app.h"
#include "edfleet/core/subprocess.h"
#include "edfleet/core/time_format.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/testing/testing.h"
#include "endpoints.h"

using namespace edfleet;
using namespace edfleet::sim;

namespace {

testing::ServiceProcess start_ingest() {
  return testing::ServiceProcess("edfleet-ingest",
                                 {{"EDFLEET_INGEST_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
                                  {"EDFLEET_INGEST_POSTGRES_URL", testing::fresh_database("sim")},
                                  {"EDFLEET_INGEST_KAFKA_TIMEOUT", "5s"}});
}

// The records on edfleet.events.v1. The test cases of this binary run one after another and are its
// only producers, so the records past a count taken before a case are what that case published.
std::vector<kafka::ConsumedMessage> events_topic() { return testing::read_topic(std::string(contracts::kEventsTopic)); }

// Checks the records published since `before` records were there: `expected` of them, one per
// event id, keyed "<tenant>/..." for the simulated tenants.
void check_published(std::size_t before, std::size_t expected) {
  const auto records = events_topic();
  REQUIRE(records.size() == before + expected);
  std::set<std::string> ids;
  for (std::size_t i = before; i < records.size(); ++i) {
    const auto& key = records[i].key;
    INFO(key);
    CHECK((key.starts_with("acme/") || key.starts_with("brightpath/") || key.starts_with("northwind/")));
    ids.insert(records[i].header("ce_id").value_or(""));
  }
  CHECK(ids.size() == expected);
}

SimOptions options(std::vector<std::string> args) {
  args.push_back("--no-progress");
  auto parsed = parse_sim_options(args, core::Environment());
  INFO(parsed.output);
  REQUIRE(parsed.options);
  return *parsed.options;
}

SimRun run(const SimOptions& o) {
  // In process, the simulator finds the fleet's internal_auth secret in the environment.
  ::setenv("EDFLEET_INTERNAL_AUTH_SECRET", std::string(testing::kInternalAuthSecret).c_str(), 1);
  std::ostringstream out, err;
  std::atomic<bool> stop{false};
  SimRun result = run_sim(o, {out, err, false}, stop);
  INFO("stdout:\n" << out.str() << "\nstderr:\n" << err.str());
  CHECK(err.str().empty());
  CHECK_FALSE(out.str().empty());
  return result;
}

std::string grpc_address(const testing::ServiceProcess& ingest) { return "127.0.0.1:" + std::to_string(ingest.grpc_port()); }
std::string http_address(const testing::ServiceProcess& ingest) { return "127.0.0.1:" + std::to_string(ingest.http_port()); }

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("edfleet-sim-test-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("50 streams x 20 events/s for 2 s over gRPC: all accepted, all on the topic", "[integration][sim]") {
  auto ingest = start_ingest();
  const auto before = events_topic().size();
  const auto started = std::chrono::steady_clock::now();
  const auto result = run(options({"--streams", "50", "--rate", "20", "--duration", "2s", "--seed", "101", "--ingest",
                                   grpc_address(ingest)}));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const auto& s = result.report.stats;
  CHECK(result.exit_code == kSimExitOk);
  CHECK(result.report.planned == 2000);
  CHECK(s.sent() == 2000);
  CHECK(s.accepted() == 2000);
  CHECK(s.duplicates() == 0);
  CHECK(s.rejected() == 0);
  CHECK(s.unavailable() == 0);
  CHECK(s.failed() == 0);
  CHECK(s.request_latency().count() == s.requests());
  CHECK(s.event_latency().count() == 2000);
  CHECK(elapsed >= std::chrono::milliseconds(1990));   // paced: the last event is due at 1.999 s
  check_published(before, 2000);
}

TEST_CASE("JSONL, then --replay: the same accepted count; replaying again is all duplicates", "[integration][sim]") {
  TempDir dir;
  const auto file = dir.path / "run.jsonl";
  // Three days ago, fixed for the whole case, so that both recordings are the same run.
  const std::string start =
      core::format_rfc3339(std::chrono::floor<std::chrono::hours>(core::SystemClock::instance().now()) - std::chrono::hours(72));
  const std::vector<std::string> record = {"--target", "jsonl", "--count", "600", "--streams", "12", "--seed", "7",
                                           "--start-time", start, "--out"};
  auto args = record;
  args.push_back(file.string());
  const auto written = run(options(args));
  REQUIRE(written.exit_code == kSimExitOk);
  CHECK(written.report.stats.sent() == 600);
  const std::string text = read_file(file);
  CHECK(std::count(text.begin(), text.end(), '\n') == 600);
  // Deterministic: the same options write the same bytes.
  args.back() = (dir.path / "again.jsonl").string();
  REQUIRE(run(options(args)).exit_code == kSimExitOk);
  CHECK(read_file(dir.path / "again.jsonl") == text);

  auto ingest = start_ingest();
  const auto before = events_topic().size();
  const auto first = run(options({"--replay", file.string(), "--streams", "12", "--rate", "100", "--ingest",
                                  grpc_address(ingest)}));
  CHECK(first.exit_code == kSimExitOk);
  CHECK(first.report.mode == "replay");
  CHECK(first.report.stats.sent() == 600);
  CHECK(first.report.stats.accepted() == 600);
  CHECK(first.report.stats.duplicates() == 0);
  check_published(before, 600);

  // Again, over HTTP and as each event's tenant: every event is a duplicate, nothing new is published.
  const auto second = run(options({"--replay", file.string(), "--streams", "12", "--rate", "100", "--target", "http",
                                   "--http", http_address(ingest), "--tenant-header"}));
  CHECK(second.exit_code == kSimExitOk);
  CHECK(second.report.stats.sent() == 600);
  CHECK(second.report.stats.accepted() == 0);
  CHECK(second.report.stats.duplicates() == 600);
  CHECK(second.report.stats.rejected() == 0);
  CHECK(events_topic().size() == before + 600);
}

TEST_CASE("edfleet-sim: finds ingest in the endpoints file, prints JSON; an unreachable ingest fails fast",
          "[integration][sim]") {
  auto ingest = start_ingest();
  TempDir dir;
  cli::Endpoints endpoints;
  endpoints.services.push_back({"ingest", grpc_address(ingest), http_address(ingest), ingest.pid()});
  endpoints.internal_auth_secret = std::string(testing::kInternalAuthSecret);  // as `edfleet up` writes it
  const auto endpoints_file = (dir.path / "endpoints.json").string();
  REQUIRE(cli::write_endpoints_file(endpoints_file, endpoints).ok());

  auto run_binary = [&](std::vector<std::string> args, std::string& out, std::string& err) {
    args.insert(args.begin(), testing::bin_path("edfleet-sim"));
    // The secret comes from the endpoints file alone (an empty variable counts as unset).
    core::Subprocess child(std::move(args), {{"EDFLEET_ENDPOINTS_FILE", endpoints_file}, {"EDFLEET_INTERNAL_AUTH_SECRET", ""}},
                           [&](std::string_view line, bool is_stderr) { (is_stderr ? err : out).append(line).append("\n"); });
    return child.wait();
  };

  std::string out, err;
  int status = run_binary({"--count", "120", "--streams", "6", "--rate", "40", "--json"}, out, err);
  INFO("stdout:\n" << out << "\nstderr:\n" << err);
  CHECK(status == 0);
  const auto json = nlohmann::json::parse(out);
  CHECK(json["address"] == grpc_address(ingest));
  CHECK(json["sent"] == 120);
  CHECK(json["accepted"] == 120);
  CHECK(json["rejected"] == 0);
  CHECK(json["latency_ms"]["request"]["p99"].get<double>() > 0);

  out.clear();
  err.clear();
  status = run_binary({"--count", "60", "--streams", "3", "--rate", "40", "--target", "http"}, out, err);
  INFO("HTTP run stdout:\n" << out << "\nstderr:\n" << err);
  CHECK(status == 0);
  CHECK(out.find("-> http " + http_address(ingest)) != std::string::npos);
  CHECK(out.find("accepted         60") != std::string::npos);

  out.clear();
  err.clear();
  status = run_binary({"--count", "10", "--ingest", "127.0.0.1:1", "--timeout", "1s"}, out, err);
  CHECK(status == kSimExitFailure);
  CHECK(err.find("ingest not reachable at 127.0.0.1:1") != std::string::npos);
}
