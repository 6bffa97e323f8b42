#include "edfleet/bench/bench.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <dirent.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace edfleet::bench {
namespace {

const auto kStarted = std::chrono::steady_clock::now();

// Splits one Prometheus sample line "name{labels} value" (labels optional); false for comments.
bool parse_sample(std::string_view line, std::string_view& name, std::string_view& labels, double& value) {
  if (line.empty() || line.front() == '#') return false;
  const auto name_end = line.find_first_of("{ ");
  if (name_end == std::string_view::npos) return false;
  name = line.substr(0, name_end);
  labels = {};
  std::size_t rest = name_end;
  if (line[name_end] == '{') {
    const auto close = line.find('}', name_end);
    if (close == std::string_view::npos) return false;
    labels = line.substr(name_end + 1, close - name_end - 1);
    rest = close + 1;
  }
  const std::string number(line.substr(rest));
  char* end = nullptr;
  value = std::strtod(number.c_str(), &end);
  return end != number.c_str();
}

template <typename Visit>
void for_each_sample(std::string_view text, Visit&& visit) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view name, labels;
    double value = 0;
    if (parse_sample(text.substr(start, end - start), name, labels, value)) visit(name, labels, value);
    start = end + 1;
  }
}

}  // namespace

void emit(const Row& row) {
  nlohmann::json j = {{"bench", row.bench}, {"case", row.case_name}, {"metric", row.metric},
                      {"value", std::isfinite(row.value) ? nlohmann::json(row.value) : nlohmann::json(nullptr)},
                      {"unit", row.unit}, {"goal", row.goal},
                      {"ok", row.ok ? nlohmann::json(*row.ok) : nlohmann::json(nullptr)}};
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::cout << j.dump() << std::endl;   // endl: the runner reads rows as they come
}

void progress(std::string_view message) {
  std::fprintf(stderr, "[%7.1fs] %.*s\n", elapsed_ms(kStarted) / 1000.0, static_cast<int>(message.size()),
               message.data());
  std::fflush(stderr);
}

Options parse_options(int argc, char** argv, std::string_view area, std::string_view description) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "edfleet-bench-" << area << " [--quick]\n\n" << description
                << "\n\nPrints one JSON row per figure on stdout "
                   "({\"bench\",\"case\",\"metric\",\"value\",\"unit\",\"goal\",\"ok\"}); progress on stderr.\n"
                   "--quick: small sizes, a smoke run of a few seconds.\n";
      std::exit(0);
    } else {
      std::cerr << "edfleet-bench-" << area << ": unknown argument '" << arg << "' (usage: [--quick] [--help])\n";
      std::exit(2);
    }
  }
  return options;
}

double median(std::vector<double> samples) { return quantile(std::move(samples), 0.5); }

double quantile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(samples.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = std::min(lo + 1, samples.size() - 1);
  return samples[lo] + (samples[hi] - samples[lo]) * (rank - static_cast<double>(lo));
}

double elapsed_ms(std::chrono::steady_clock::time_point since, std::chrono::steady_clock::time_point until) {
  return std::chrono::duration<double, std::milli>(until - since).count();
}

std::optional<double> peak_rss_mib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;   // kB
  }
  return std::nullopt;
}

namespace {

// Fields of /proc/<pid>/stat after the command name: state is field 3, ppid 4, utime 14, stime 15.
std::vector<std::string> stat_fields(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');   // the command name may contain spaces and parentheses
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

double ticks_to_seconds(const std::vector<std::string>& fields) {
  if (fields.size() < 13) return 0;   // fields[0] is field 3 (state), so utime/stime are [11], [12]
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::strtod(fields[11].c_str(), nullptr) + std::strtod(fields[12].c_str(), nullptr)) / ticks;
}

}  // namespace

double cpu_seconds(int pid) { return ticks_to_seconds(stat_fields(pid)); }

double cpu_seconds_with_children(int pid) {
  double total = cpu_seconds(pid);
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return total;
  while (const dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    const long child = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || child <= 0) continue;
    const auto fields = stat_fields(static_cast<int>(child));
    if (fields.size() > 1 && std::strtol(fields[1].c_str(), nullptr, 10) == pid) total += ticks_to_seconds(fields);
  }
  ::closedir(proc);
  return total;
}

double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;   // "cpu": the sum over all CPUs
  double value = 0, busy = 0;
  // user nice system idle iowait irq softirq (steal, time the hypervisor gave away, is not counted)
  for (int i = 0; i < 7 && in >> value; ++i) {
    if (i != 3 && i != 4) busy += value;
  }
  return busy / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double metric_sum(std::string_view text, std::string_view name, const std::vector<std::string>& label_filter) {
  double sum = 0;
  for_each_sample(text, [&](std::string_view sample, std::string_view labels, double value) {
    if (sample != name) return;
    for (const auto& wanted : label_filter) {
      if (labels.find(wanted) == std::string_view::npos) return;
    }
    sum += value;
  });
  return sum;
}

Histogram histogram(std::string_view text, std::string_view name) {
  const std::string bucket = std::string(name) + "_bucket";
  Histogram h;
  for_each_sample(text, [&](std::string_view sample, std::string_view labels, double value) {
    if (sample != bucket) return;
    const auto le = labels.find("le=\"");
    if (le == std::string_view::npos) return;
    const std::string bound(labels.substr(le + 4, labels.find('"', le + 4) - le - 4));
    const double upper = bound == "+Inf" ? std::numeric_limits<double>::infinity() : std::strtod(bound.c_str(), nullptr);
    h.buckets.emplace_back(upper, value);
  });
  std::sort(h.buckets.begin(), h.buckets.end());
  return h;
}

Histogram Histogram::minus(const Histogram& earlier) const {
  Histogram out = *this;
  for (std::size_t i = 0; i < out.buckets.size() && i < earlier.buckets.size(); ++i) {
    out.buckets[i].second -= earlier.buckets[i].second;
  }
  return out;
}

double Histogram::quantile(double q) const {
  const double total = count();
  if (total <= 0) return std::numeric_limits<double>::quiet_NaN();
  const double rank = q * total;
  double lower_bound = 0;
  double lower_count = 0;
  for (const auto& [upper, cumulative] : buckets) {
    if (cumulative >= rank) {
      if (std::isinf(upper)) return lower_bound;
      const double in_bucket = cumulative - lower_count;
      return in_bucket <= 0 ? upper : lower_bound + (upper - lower_bound) * (rank - lower_count) / in_bucket;
    }
    lower_bound = upper;
    lower_count = cumulative;
  }
  return lower_bound;
}

std::string scrape_metrics(int http_port) {
  httplib::Client client("127.0.0.1", http_port);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  auto response = client.Get("/metrics");
  if (!response || response->status != 200) {
    throw std::runtime_error("GET /metrics on port " + std::to_string(http_port) + " failed");
  }
  return response->body;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  in >> one >> five >> fifteen;
  std::ostringstream out;
  out.precision(2);
  out << std::fixed << "load average " << one << " " << five << " " << fifteen;
  return out.str();
}

}  // namespace edfleet::bench
