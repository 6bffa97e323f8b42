#include <catch2/catch.hpp>

#include "app/sim_options.h"
#include "edfleet/core/time_format.h"

using namespace edfleet;
using namespace edfleet::sim;
using namespace std::chrono_literals;

namespace {

SimParseOutcome parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return parse_sim_options(args, core::Environment(std::move(env)));
}

}  // namespace

TEST_CASE("sim options: defaults", "[sim][options]") {
  const auto outcome = parse({});
  REQUIRE(outcome.options);
  const auto& o = *outcome.options;
  CHECK(o.plan.streams == 50);
  CHECK(o.plan.rate == 5);
  CHECK(o.plan.duration == 10s);
  CHECK_FALSE(o.plan.count);
  CHECK_FALSE(o.duration_given);
  CHECK(o.plan.seed == 42);
  CHECK(o.plan.tenants == 3);
  CHECK(o.plan.time_scale == 3600);
  CHECK_FALSE(o.plan.start_time);
  CHECK(o.target == Target::kGrpc);
  CHECK(o.batch_size == 100);
  CHECK(o.linger == 50ms);
  CHECK(o.timeout == 10s);
  CHECK(o.endpoints_file == ".edfleet/endpoints.json");
  CHECK(o.progress == ProgressMode::kAuto);
  CHECK_FALSE(o.tenant_header);
  CHECK_FALSE(o.json);
}

TEST_CASE("sim options: the environment gives defaults, the command line wins", "[sim][options]") {
  const std::map<std::string, std::string> env = {
      {"STREAM_COUNT", "64"}, {"EVENT_RATE_PER_SEC", "2.5"}, {"EDFLEET_DATA_DIR", "/var/edfleet"}};
  auto outcome = parse({}, env);
  REQUIRE(outcome.options);
  CHECK(outcome.options->plan.streams == 64);
  CHECK(outcome.options->plan.rate == 2.5);
  CHECK(outcome.options->endpoints_file == "/var/edfleet/endpoints.json");

  outcome = parse({"--streams", "50", "--rate", "5", "--endpoints", "e.json"}, env);
  REQUIRE(outcome.options);
  CHECK(outcome.options->plan.streams == 50);
  CHECK(outcome.options->plan.rate == 5);
  CHECK(outcome.options->endpoints_file == "e.json");

  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"STREAM_COUNT", "many"}, {"STREAM_COUNT", "2.5"}, {"EVENT_RATE_PER_SEC", "0"}, {"EVENT_RATE_PER_SEC", "5/s"}}) {
    INFO(name << "=" << value);
    const auto bad = parse({}, {{name, value}});
    CHECK_FALSE(bad.options);
    CHECK(bad.exit_code == kSimExitUsage);
    CHECK(bad.output.find(name) != std::string::npos);
  }
}

TEST_CASE("sim options: everything on the command line", "[sim][options]") {
  const auto outcome =
      parse({"--streams", "8", "--rate", "20", "--count", "1000", "--seed", "7", "--tenants", "2", "--start-time",
             "2026-11-01T00:00:00Z", "--time-scale", "43200", "--target", "http", "--http", "127.0.0.1:9102",
             "--batch-size", "250", "--linger", "20ms", "--streams-per-worker", "4", "--tenant-header", "--timeout",
             "3s", "--progress", "--json"});
  REQUIRE(outcome.options);
  const auto& o = *outcome.options;
  CHECK(o.plan.streams == 8);
  CHECK(o.plan.rate == 20);
  CHECK(o.plan.count == 1000u);
  CHECK(o.plan.seed == 7);
  CHECK(o.plan.tenants == 2);
  CHECK(o.plan.start_time == core::parse_rfc3339("2026-11-01T00:00:00Z"));
  CHECK(o.plan.time_scale == 43200);
  CHECK(o.target == Target::kHttp);
  CHECK(o.http == "127.0.0.1:9102");
  CHECK(o.batch_size == 250);
  CHECK(o.linger == 20ms);
  CHECK(o.streams_per_worker == 4);
  CHECK(o.tenant_header);
  CHECK(o.timeout == 3s);
  CHECK(o.progress == ProgressMode::kAlways);
  CHECK(o.json);

  const auto replay = parse({"--replay", "day.jsonl", "--duration", "30s", "--ingest", "localhost:7101"});
  REQUIRE(replay.options);
  CHECK(replay.options->replay == "day.jsonl");
  CHECK(replay.options->duration_given);
  CHECK(replay.options->plan.duration == 30s);
  CHECK(replay.options->ingest == "localhost:7101");
}

TEST_CASE("sim options: usage errors say what is wrong", "[sim][options]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--count", "10", "--duration", "5s"}, "excludes"},
      {{"--target", "jsonl"}, "--out"},
      {{"--out", "x.jsonl"}, "only for --target jsonl"},
      {{"--target", "jsonl", "--out", "x", "--replay", "y"}, "--replay"},
      {{"--duration", "soon"}, "--duration"},
      {{"--start-time", "yesterday"}, "--start-time"},
      {{"--rate", "0"}, "--rate"},
      {{"--batch-size", "5000"}, "--batch-size"},
      {{"--ingest", "localhost"}, "host:port"},
      {{"--target", "kafka"}, "--target"},
      {{"--count", "0"}, "--count"},
      {{"--progress", "--no-progress"}, "contradict"},
      {{"--bogus"}, "bogus"},
  };
  for (const auto& [args, expected] : cases) {
    INFO(args.front() << " -> " << expected);
    const auto outcome = parse(args);
    CHECK_FALSE(outcome.options);
    CHECK(outcome.exit_code == kSimExitUsage);
    CHECK(outcome.output.find(expected) != std::string::npos);
  }
}

TEST_CASE("sim options: --help", "[sim][options]") {
  const auto outcome = parse({"--help"});
  CHECK_FALSE(outcome.options);
  CHECK(outcome.exit_code == kSimExitOk);
  CHECK(outcome.output.find("--streams") != std::string::npos);
  CHECK(outcome.output.find("STREAM_COUNT") != std::string::npos);
  CHECK(outcome.output.find("--replay") != std::string::npos);
}
