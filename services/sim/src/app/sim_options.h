// `edfleet sim` command line -> typed options. Pure: the environment is passed in and the help or
// error text is returned, so every flag, default and fallback is unit-tested.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "domain/run_plan.h"
#include "edfleet/core/config.h"
#include "options.h"   // the CLI's exit codes

namespace edfleet::sim {

enum class Target { kGrpc, kHttp, kJsonl };
enum class ProgressMode { kAuto, kAlways, kNever };

struct SimOptions {
  PlanInput plan;                          // seed, streams, tenants, rate, time scale, count/duration, start
  bool duration_given = false;             // --duration on the command line (replay: a limit)
  Target target = Target::kGrpc;
  std::string ingest;                      // gRPC host:port; empty = endpoints file, else 127.0.0.1:7101
  std::string http;                        // HTTP host:port; empty = endpoints file, else 127.0.0.1:7102
  std::string endpoints_file;              // resolved path of `edfleet up`'s endpoints file
  std::string out;                         // --target jsonl: file, or "-" for stdout
  std::string replay;                      // send this recorded file instead of simulating
  std::size_t batch_size = 100;
  std::chrono::milliseconds linger{50};
  int streams_per_worker = 10;
  bool tenant_header = false;
  std::chrono::milliseconds timeout{10000};   // per request
  ProgressMode progress = ProgressMode::kAuto;
  bool json = false;
};

// Exit codes: those of every `edfleet` command (options.h of the CLI), plus one for Ctrl-C.
inline constexpr int kSimExitOk = cli::kExitOk;
inline constexpr int kSimExitFailure = cli::kExitFailure;   // rejections, failed requests, start-up failures
inline constexpr int kSimExitUsage = cli::kExitUsage;
inline constexpr int kSimExitInterrupted = 130;

// The options to run with, or the text to print instead: help (exit_code 0, for stdout) or a usage
// error (exit_code 2, for stderr).
struct SimParseOutcome {
  std::optional<SimOptions> options;
  int exit_code = kSimExitOk;
  std::string output;
};

// `args` are the arguments after `edfleet sim`. Environment fallbacks: STREAM_COUNT (--streams),
// EVENT_RATE_PER_SEC (--rate), EDFLEET_ENDPOINTS_FILE (--endpoints), EDFLEET_DATA_DIR (--data-dir).
SimParseOutcome parse_sim_options(const std::vector<std::string>& args, const core::Environment& env);

}  // namespace edfleet::sim
