// What `edfleet sim` prints: a progress line while it runs and a summary at the end (a table, or
// JSON with --json for scripts such as the benchmark runner). Built from plain values so that the
// layout is unit-tested.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/run_stats.h"
#include "domain/world.h"
#include "edfleet/core/clock.h"

namespace edfleet::sim {

struct RunReport {
  std::string mode = "simulate";           // simulate | replay
  std::string target = "grpc";             // grpc | http | jsonl
  std::string address;                     // where events went (host:port or file)
  int streams = 0;
  double rate = 0;                         // per stream
  std::uint64_t seed = 0;
  std::vector<std::string> tenants;
  std::uint64_t planned = 0;
  std::optional<Cohort> cohort;            // per stream, when simulating
  std::optional<core::Timestamp> first_event;   // simulated span
  std::optional<core::Timestamp> last_event;
  double elapsed_seconds = 0;
  bool interrupted = false;
  RunStats stats;
};

// "  3.0s  sent 750/2500  accepted 748  dup 0  rejected 2  unavail 0  failed 0  250/s  p50 3.1ms  p99 9.8ms"
// `recent_rate` is events per second over the last interval.
std::string progress_line(double elapsed_seconds, const RunStats& stats, std::uint64_t planned, double recent_rate);

std::string render_report(const RunReport& report);
nlohmann::json report_json(const RunReport& report);

// Milliseconds with a precision that suits the value: "0.42", "3.10", "12.3", "1530".
std::string format_ms(std::chrono::microseconds value);

}  // namespace edfleet::sim
