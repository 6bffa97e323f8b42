#include "domain/pacing.h"

#include <algorithm>
#include <cmath>

#include "edfleet/core/time_format.h"

namespace edfleet::sim {

StreamPacer::StreamPacer(double rate_per_second, int stream, int streams)
    : interval_ns_(1e9 / rate_per_second),
      phase_ns_(interval_ns_ * static_cast<double>(stream) / static_cast<double>(std::max(1, streams))) {}

std::chrono::nanoseconds StreamPacer::due(std::uint64_t k) const {
  return std::chrono::nanoseconds(std::llround(static_cast<double>(k) * interval_ns_ + phase_ns_));
}

std::vector<std::uint64_t> split_count(std::uint64_t total, int streams) {
  const auto n = static_cast<std::uint64_t>(std::max(1, streams));
  std::vector<std::uint64_t> out(n, total / n);
  for (std::uint64_t i = 0; i < total % n; ++i) ++out[i];
  return out;
}

std::uint64_t events_in(double rate_per_second, std::chrono::milliseconds duration) {
  return static_cast<std::uint64_t>(std::llround(rate_per_second * static_cast<double>(duration.count()) / 1000.0));
}

std::chrono::nanoseconds batch_window(double events_per_second, std::size_t batch_size, std::chrono::nanoseconds linger) {
  if (events_per_second <= 0) return linger;
  const auto fill = std::chrono::nanoseconds(std::llround(static_cast<double>(batch_size) * 1e9 / events_per_second));
  return std::min(linger, fill);
}

core::Result<void> check_explicit_timeline(core::Timestamp latest_end, core::Timestamp now,
                                           const TimelineLimits& limits) {
  if (latest_end <= now + limits.max_future) return {};
  return core::Error::invalid("the simulated timeline would end at " + core::format_rfc3339(latest_end) +
                                  ", more than " + std::to_string(limits.max_future.count() / 3600000000) +
                                  " h from now, and ingest rejects events over 24 h ahead: use an earlier "
                                  "--start-time, a smaller --time-scale, or fewer events",
                              "start_time");
}

std::chrono::microseconds shift_back(core::Timestamp latest_end, core::Timestamp now, std::chrono::microseconds unit) {
  if (latest_end <= now) return std::chrono::microseconds(0);
  const auto units = ((latest_end - now).count() + unit.count() - 1) / unit.count();
  return units * unit;
}

}  // namespace edfleet::sim
