// edfleet::bench — what every `edfleet-bench-<area>` binary shares: the row protocol of
// tests/bench/run (one JSON object per line on stdout), command-line flags, statistics (medians of
// repeated runs, percentiles), peak resident memory of a process, and reading figures out of a
// service's Prometheus /metrics text.
//
//   bench::Options options = bench::parse_options(argc, argv, "pipeline", "what it measures");
//   bench::emit({"pipeline", "raw produce, 300,000 records", "produce rate", 1.2e6, "events/s"});
//   bench::emit({"pipeline", "...", "p99", 14.2, "ms", "< 20", 14.2 < 20});
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edfleet::bench {

// One measured figure. `ok` is empty (JSON null) when the row has no goal.
struct Row {
  std::string bench;
  std::string case_name;
  std::string metric;
  double value = 0;
  std::string unit;   // events/s | ms | MiB | ratio | s | ...
  std::string goal;   // e.g. ">= 0.5", "< 20"; empty = none
  std::optional<bool> ok;
};

// Prints the row as one JSON line on stdout ({"bench","case","metric","value","unit","goal","ok"})
// and flushes, so the runner sees it at once.
void emit(const Row& row);

// Progress for people, on stderr, prefixed with the elapsed time: never mixed into the rows.
void progress(std::string_view message);

struct Options {
  bool quick = false;   // --quick: small sizes, a smoke run of a few seconds
};
// Parses --quick and --help (prints a usage line, a blank line and `description`, then exits 0;
// tests/bench/run quotes the description's first paragraph as the benchmark's method); anything
// else exits 2 with usage.
Options parse_options(int argc, char** argv, std::string_view area, std::string_view description);

// Statistics over samples (copies, so callers keep their order). Empty input -> 0.
double median(std::vector<double> samples);
// Linear interpolation between closest ranks (numpy's default), q in [0, 1].
double quantile(std::vector<double> samples, double q);

double elapsed_ms(std::chrono::steady_clock::time_point since,
                  std::chrono::steady_clock::time_point until = std::chrono::steady_clock::now());

// The process's peak resident set size (VmHWM in /proc/<pid>/status) in MiB, or nullopt when the
// process is gone or the field is missing.
std::optional<double> peak_rss_mib(int pid);

// CPU time (user + system, seconds) the process has used so far; 0 when it is gone.
double cpu_seconds(int pid);
// The same summed over `pid` and its direct children (e.g. a PostgreSQL postmaster and its backends).
double cpu_seconds_with_children(int pid);
// CPU time (seconds, all CPUs) the whole machine has spent busy since boot, from /proc/stat: the
// difference over an interval, divided by its length, is how many cores were busy.
double machine_busy_seconds();

// Prometheus text format. The sum of every sample of `name` whose labels include all of
// `label_filter` ("key=\"value\"" fragments, e.g. {"group=\"edfleet-analytics\""}); 0 when absent.
double metric_sum(std::string_view text, std::string_view name, const std::vector<std::string>& label_filter = {});

// A Prometheus histogram's cumulative buckets (upper bound -> count, +Inf last).
struct Histogram {
  std::vector<std::pair<double, double>> buckets;
  double count() const { return buckets.empty() ? 0 : buckets.back().second; }
  // This minus an earlier scrape of the same histogram (the observations in between).
  Histogram minus(const Histogram& earlier) const;
  // The q-quantile, linearly interpolated inside its bucket (what Prometheus' histogram_quantile
  // does); the highest finite bound when it falls in +Inf. NaN when empty.
  double quantile(double q) const;
};
Histogram histogram(std::string_view text, std::string_view name);

// GET http://127.0.0.1:<port>/metrics; throws std::runtime_error when it does not answer 200.
std::string scrape_metrics(int http_port);

// Machine facts that help read a figure: "load average 1.23 0.98 0.77" (from /proc/loadavg).
std::string load_average();

}  // namespace edfleet::bench
