#include "app/sim_options.h"

#include <cmath>

#include <CLI/CLI.hpp>

#include "edfleet/core/time_format.h"
#include "endpoints.h"

namespace edfleet::sim {

namespace {

constexpr const char* kDescription =
    "edfleet sim: realistic traffic for a tutoring marketplace and live classrooms, sent to ingest.\n"
    "Each stream simulates its own slice of one tenant's market (learners, tutors, sessions, live\n"
    "classes) and sends its events at --rate per second. At the end it prints what was sent, accepted,\n"
    "rejected and how long it took (--json for machine-readable output).";

std::optional<std::chrono::milliseconds> duration_option(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return core::parse_duration(text);
}

std::optional<double> positive_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && value > 0 && std::isfinite(value)) return value;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

bool valid_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  return address.find_first_not_of("0123456789", colon + 1) == std::string::npos;
}

}  // namespace

SimParseOutcome parse_sim_options(const std::vector<std::string>& args, const core::Environment& env) {
  SimOptions options;
  CLI::App app{kDescription, "edfleet sim"};
  app.footer(
      "Examples:\n"
      "  edfleet sim --streams 50 --rate 5                    against `edfleet up` (gRPC), 10 s\n"
      "  edfleet sim --count 10000 --target jsonl --out day.jsonl --start-time 2026-11-01T00:00:00Z\n"
      "  edfleet sim --replay day.jsonl --target http --rate 200\n"
      "  edfleet sim --time-scale 43200 --duration 60s        30 simulated days in a minute\n"
      "Exit codes: 0 every event accepted (duplicates included), 1 rejections or failures,\n"
      "2 usage error, 130 interrupted.");

  auto& plan = options.plan;
  int streams = 50;
  double rate = 5;
  std::string duration_text, start_text, target_text = "grpc", linger_text = "50ms", timeout_text = "10s",
                                         data_dir;
  std::uint64_t count = 0;
  bool progress = false, no_progress = false;

  auto* streams_opt = app.add_option("--streams", streams, "Concurrent streams (default 50; env STREAM_COUNT)")
                          ->check(CLI::Range(1, 100000));
  auto* rate_opt = app.add_option("--rate", rate, "Events per second per stream (default 5; env EVENT_RATE_PER_SEC)");
  auto* duration_opt = app.add_option("--duration", duration_text, "How long to send, e.g. 30s, 5m (default 10s)");
  auto* count_opt = app.add_option("--count", count, "Send this many events in total instead (split over the streams)");
  duration_opt->excludes(count_opt);
  app.add_option("--seed", plan.seed, "Seed of the simulated world (default 42)");
  app.add_option("--tenants", plan.tenants, "Tenants the streams are spread over (default 3)")->check(CLI::Range(1, 1000));
  app.add_option("--start-time", start_text,
                 "Simulated time of the first events (RFC 3339); default: so the timeline ends about now");
  app.add_option("--time-scale", plan.time_scale,
                 "Simulated seconds per second of the run (default 3600: an hour a second); sizes each "
                 "stream's slice of the market")
      ->check(CLI::PositiveNumber);
  app.add_option("--target", target_text, "grpc (default), http, or jsonl (write a file for --replay)")
      ->check(CLI::IsMember({"grpc", "http", "jsonl"}));
  app.add_option("--ingest", options.ingest, "Ingest's gRPC address (default: endpoints file, else 127.0.0.1:7101)")
      ->type_name("HOST:PORT");
  app.add_option("--http", options.http, "Ingest's HTTP address (default: endpoints file, else 127.0.0.1:7102)")
      ->type_name("HOST:PORT");
  auto* endpoints_opt =
      app.add_option("--endpoints", options.endpoints_file, "Endpoints file of `edfleet up` (env EDFLEET_ENDPOINTS_FILE)")
          ->type_name("FILE");
  auto* data_dir_opt = app.add_option("--data-dir", data_dir, "`edfleet up --data-dir` (env EDFLEET_DATA_DIR)")->type_name("DIR");
  app.add_option("--out", options.out, "With --target jsonl: the file to write (- for stdout)")->type_name("FILE");
  app.add_option("--replay", options.replay, "Send the events of a recorded JSONL file instead of simulating")
      ->type_name("FILE");
  app.add_option("--batch-size", options.batch_size, "Most events per request (1..1000, default 100)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--linger", linger_text, "How long a worker gathers due events into one request (default 50ms)");
  app.add_option("--streams-per-worker", options.streams_per_worker, "Streams one sending thread serves (default 10)")
      ->check(CLI::Range(1, 100000));
  app.add_flag("--tenant-header", options.tenant_header,
               "Send as each event's tenant (x-edfleet-tenant), one request per tenant, like the gateway does");
  app.add_option("--timeout", timeout_text, "Deadline of each request (default 10s)");
  app.add_flag("--progress", progress, "Print a progress line every second (default: when stderr is a terminal)");
  app.add_flag("--no-progress", no_progress, "Never print the progress line");
  app.add_flag("--json", options.json, "Print the summary as JSON");

  auto fail = [](const std::string& message) {
    return SimParseOutcome{std::nullopt, kSimExitUsage, "edfleet sim: " + message + "\nRun `edfleet sim --help` for usage.\n"};
  };

  std::vector<std::string> argv_text = {"edfleet sim"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const auto& a : argv_text) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, kSimExitOk, app.help()};
  } catch (const CLI::ParseError& e) {
    return fail(e.what());
  }

  // Environment fallbacks for what the command line did not set.
  if (streams_opt->count() == 0) {
    if (auto text = env.get("STREAM_COUNT"); text && !text->empty()) {
      const auto n = positive_number(*text);
      if (!n || *n != std::floor(*n) || *n > 100000) return fail("STREAM_COUNT must be a whole number from 1 to 100000, got \"" + *text + "\"");
      streams = static_cast<int>(*n);
    }
  }
  if (rate_opt->count() == 0) {
    if (auto text = env.get("EVENT_RATE_PER_SEC"); text && !text->empty()) {
      const auto n = positive_number(*text);
      if (!n) return fail("EVENT_RATE_PER_SEC must be a number above 0, got \"" + *text + "\"");
      rate = *n;
    }
  }
  if (endpoints_opt->count() == 0) options.endpoints_file = env.get("EDFLEET_ENDPOINTS_FILE").value_or("");
  if (data_dir_opt->count() == 0) data_dir = env.get("EDFLEET_DATA_DIR").value_or("");
  options.endpoints_file = cli::endpoints_path(options.endpoints_file, data_dir);

  if (!(rate > 0)) return fail("--rate must be above 0");
  plan.streams = streams;
  plan.rate = rate;
  if (count_opt->count() > 0) {
    if (count == 0) return fail("--count must be at least 1");
    plan.count = count;
  }
  if (duration_opt->count() > 0) {
    auto d = duration_option(duration_text);
    if (!d || d->count() <= 0) return fail("--duration must be a duration like 30s or 5m, got \"" + duration_text + "\"");
    plan.duration = *d;
    options.duration_given = true;
  }
  if (!start_text.empty()) {
    auto start = core::parse_rfc3339(start_text);
    if (!start) return fail("--start-time must be an RFC 3339 time like 2026-11-01T00:00:00Z, got \"" + start_text + "\"");
    plan.start_time = *start;
  }
  auto linger = duration_option(linger_text);
  if (!linger || linger->count() < 0) return fail("--linger must be a duration like 50ms, got \"" + linger_text + "\"");
  options.linger = *linger;
  auto timeout = duration_option(timeout_text);
  if (!timeout || timeout->count() <= 0) return fail("--timeout must be a duration like 10s, got \"" + timeout_text + "\"");
  options.timeout = *timeout;

  options.target = target_text == "http" ? Target::kHttp : target_text == "jsonl" ? Target::kJsonl : Target::kGrpc;
  if (options.target == Target::kJsonl && options.out.empty()) return fail("--target jsonl needs --out FILE (or - for stdout)");
  if (options.target != Target::kJsonl && !options.out.empty()) return fail("--out is only for --target jsonl");
  if (options.target == Target::kJsonl && !options.replay.empty()) return fail("--replay sends a file: use --target grpc or http");
  if (!options.ingest.empty() && !valid_address(options.ingest)) return fail("--ingest must be host:port, got \"" + options.ingest + "\"");
  if (!options.http.empty() && !valid_address(options.http)) return fail("--http must be host:port, got \"" + options.http + "\"");
  if (progress && no_progress) return fail("--progress and --no-progress contradict each other");
  options.progress = progress ? ProgressMode::kAlways : no_progress ? ProgressMode::kNever : ProgressMode::kAuto;
  return {std::move(options), kSimExitOk, ""};
}

}  // namespace edfleet::sim
