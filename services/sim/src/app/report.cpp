#include "app/report.h"

#include <cmath>
#include <cstdio>

#include "edfleet/core/time_format.h"
#include "table.h"

namespace edfleet::sim {

namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// "1 tutor", "6 tutors".
std::string count_of(int n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

double ms(std::chrono::microseconds value) { return static_cast<double>(value.count()) / 1000.0; }

nlohmann::json latency_json(const LatencyHistogram& h) {
  return {{"count", h.count()},   {"p50", ms(h.percentile(50))}, {"p90", ms(h.percentile(90))},
          {"p99", ms(h.percentile(99))}, {"max", ms(h.max())},          {"mean", ms(h.mean())}};
}

std::string span_text(core::Timestamp first, core::Timestamp last) {
  const double hours = static_cast<double>((last - first).count()) / 3600e6;
  return core::format_rfc3339(std::chrono::floor<std::chrono::seconds>(first)) + " .. " +
         core::format_rfc3339(std::chrono::floor<std::chrono::seconds>(last)) + " (" +
         (hours >= 48 ? fixed(hours / 24, 1) + " days" : fixed(hours, 1) + " h") + ")";
}

}  // namespace

std::string format_ms(std::chrono::microseconds value) {
  const double v = ms(value);
  return fixed(v, v < 10 ? 2 : v < 100 ? 1 : 0);
}

std::string progress_line(double elapsed_seconds, const RunStats& stats, std::uint64_t planned, double recent_rate) {
  std::string line = fixed(elapsed_seconds, 1) + "s  sent " + std::to_string(stats.sent()) + "/" + std::to_string(planned) +
                     "  accepted " + std::to_string(stats.accepted()) + "  dup " + std::to_string(stats.duplicates()) +
                     "  rejected " + std::to_string(stats.rejected()) + "  unavail " + std::to_string(stats.unavailable()) +
                     "  failed " + std::to_string(stats.failed()) + "  " + fixed(recent_rate, 0) + "/s";
  if (stats.request_latency().count() > 0) {
    line += "  p50 " + format_ms(stats.request_latency().percentile(50)) + "ms  p99 " +
            format_ms(stats.request_latency().percentile(99)) + "ms";
  }
  return line;
}

std::string render_report(const RunReport& r) {
  const RunStats& s = r.stats;
  std::string out = "edfleet sim: " + std::string(r.mode == "replay" ? "replayed " : "simulated ") +
                    std::to_string(r.streams) + " streams at " + fixed(r.rate, r.rate == std::floor(r.rate) ? 0 : 2) +
                    " events/s each -> " + r.target + " " + r.address + (r.interrupted ? " (interrupted)" : "") + "\n";
  if (r.mode == "simulate") {
    std::string tenants;
    for (const auto& t : r.tenants) tenants += (tenants.empty() ? "" : ", ") + t;
    out += "world: seed " + std::to_string(r.seed) + ", tenants " + tenants;
    if (r.cohort) {
      out += "; per stream " + count_of(r.cohort->learners, "learner", "learners") + ", " +
             count_of(r.cohort->tutors, "tutor", "tutors") + ", " + count_of(r.cohort->classes, "live class", "live classes");
    }
    out += "\n";
    if (r.first_event && r.last_event) out += "simulated time: " + span_text(*r.first_event, *r.last_event) + "\n";
  }
  const double rate = r.elapsed_seconds > 0 ? static_cast<double>(s.sent()) / r.elapsed_seconds : 0;
  out += "sent " + std::to_string(s.sent()) + " of " + std::to_string(r.planned) + " events";
  if (r.target != "jsonl") out += " in " + std::to_string(s.requests()) + " requests";
  out += " over " + fixed(r.elapsed_seconds, 1) + " s (" + fixed(rate, 1) + " events/s)\n";
  if (r.target == "jsonl") return out;

  out += "\n";
  cli::Table outcomes({"OUTCOME", "EVENTS"});
  outcomes.align(1, cli::Table::Align::kRight);
  outcomes.add_row({"accepted", std::to_string(s.accepted())});
  outcomes.add_row({"duplicates", std::to_string(s.duplicates())});
  outcomes.add_row({"rejected", std::to_string(s.rejected())});
  outcomes.add_row({"unavailable", std::to_string(s.unavailable())});
  outcomes.add_row({"failed", std::to_string(s.failed())});
  out += outcomes.render() + "\n";

  cli::Table latency({"LATENCY (ms)", "P50", "P90", "P99", "MAX"});
  for (std::size_t c = 1; c <= 4; ++c) latency.align(c, cli::Table::Align::kRight);
  auto row = [&](const char* name, const LatencyHistogram& h) {
    latency.add_row({name, format_ms(h.percentile(50)), format_ms(h.percentile(90)), format_ms(h.percentile(99)),
                     format_ms(h.max())});
  };
  row("per request", s.request_latency());
  row("per event", s.event_latency());
  out += latency.render();

  if (!s.rejected_by_reason().empty()) {
    cli::Table reasons({"REJECTED BY REASON", "EVENTS", "FIRST EXAMPLE"});
    reasons.align(1, cli::Table::Align::kRight);
    for (const auto& [reason, n] : s.rejected_by_reason()) {
      const auto& e = s.examples().at(reason);
      reasons.add_row({reason, std::to_string(n), e.id + " " + (e.field.empty() ? "" : e.field + ": ") + e.message});
    }
    out += "\n" + reasons.render();
  }
  if (!s.failures().empty()) {
    cli::Table failures({"FAILED REQUESTS", "ERROR"});
    failures.align(0, cli::Table::Align::kRight);
    for (const auto& [error, n] : s.failures()) failures.add_row({std::to_string(n), error});
    out += "\n" + failures.render();
  }
  return out;
}

nlohmann::json report_json(const RunReport& r) {
  const RunStats& s = r.stats;
  nlohmann::json j = {
      {"mode", r.mode},
      {"target", r.target},
      {"address", r.address},
      {"streams", r.streams},
      {"rate_per_stream", r.rate},
      {"planned", r.planned},
      {"sent", s.sent()},
      {"accepted", s.accepted()},
      {"duplicates", s.duplicates()},
      {"rejected", s.rejected()},
      {"rejected_by_reason", s.rejected_by_reason()},
      {"unavailable", s.unavailable()},
      {"failed", s.failed()},
      {"requests", s.requests()},
      {"failed_requests", s.failed_requests()},
      {"failures", s.failures()},
      {"elapsed_seconds", r.elapsed_seconds},
      {"events_per_second", r.elapsed_seconds > 0 ? static_cast<double>(s.sent()) / r.elapsed_seconds : 0.0},
      {"latency_ms", {{"request", latency_json(s.request_latency())}, {"event", latency_json(s.event_latency())}}},
      {"interrupted", r.interrupted},
  };
  if (r.mode == "simulate") {
    nlohmann::json world = {{"seed", r.seed}, {"tenants", r.tenants}};
    if (r.cohort) {
      world["cohort_per_stream"] = {{"learners", r.cohort->learners}, {"tutors", r.cohort->tutors}, {"classes", r.cohort->classes}};
    }
    if (r.first_event && r.last_event) {
      world["first_event"] = core::format_rfc3339(*r.first_event);
      world["last_event"] = core::format_rfc3339(*r.last_event);
    }
    j["world"] = std::move(world);
  }
  return j;
}

}  // namespace edfleet::sim
