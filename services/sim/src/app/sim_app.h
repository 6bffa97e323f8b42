// One `edfleet sim` run with parsed options: simulate (or replay a file), send through ingest over
// gRPC or HTTP (or write JSONL), show progress, and report. The streams are passed in, so tests run
// it in-process.
#pragma once

#include <atomic>
#include <ostream>

#include "app/report.h"
#include "app/sim_options.h"

namespace edfleet::sim {

struct SimConsole {
  std::ostream& out;        // the summary (and the events with --target jsonl --out -)
  std::ostream& err;        // progress and errors
  bool err_is_tty = false;  // progress rewrites one line on a terminal, prints lines otherwise
};

struct SimRun {
  int exit_code = kSimExitOk;
  RunReport report;
};

// Returns once everything is sent or `stop` became true (then what was sent is reported).
SimRun run_sim(const SimOptions& options, SimConsole console, const std::atomic<bool>& stop);

}  // namespace edfleet::sim
