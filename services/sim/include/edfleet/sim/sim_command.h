// `edfleet sim`: the traffic simulator, as a library entry point for the `edfleet` command (which
// dispatches `edfleet sim ...` here) and the standalone `edfleet-sim` binary.
#pragma once

namespace edfleet::sim {

// Runs `edfleet sim` with argv[0..argc) = the arguments after "sim" (no program name), reading
// STREAM_COUNT, EVENT_RATE_PER_SEC, EDFLEET_ENDPOINTS_FILE and EDFLEET_DATA_DIR from the environment
// as defaults. Prints the progress line on stderr and the summary on stdout (stderr when the events
// themselves go to stdout); `edfleet sim --help` lists every option. SIGINT/SIGTERM stop sending and
// print the summary of what was sent. Returns the exit code: 0 every event accepted (duplicates
// included), 1 rejections, unavailable events or failed requests (or a start-up failure such as an
// unreachable ingest), 2 usage error, 130 interrupted.
int run_sim_command(int argc, char** argv);

}  // namespace edfleet::sim
