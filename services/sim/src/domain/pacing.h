// The arithmetic of a paced run: how many events each stream sends, when each one is due, how long a
// worker may hold due events to fill a batch, and where the simulated timeline is anchored.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"

namespace edfleet::sim {

// Stream `stream` of `streams` sends its k-th event (k = 0, 1, ...) at (k + stream/streams) / rate
// seconds after the run starts: evenly spaced at `rate` per second, with the streams staggered over
// one interval so they do not all fire at the same instant.
class StreamPacer {
 public:
  StreamPacer(double rate_per_second, int stream, int streams);
  std::chrono::nanoseconds due(std::uint64_t k) const;

 private:
  double interval_ns_;
  double phase_ns_;
};

// `total` events over `streams` streams: equal shares, the first streams taking one more when it
// does not divide.
std::vector<std::uint64_t> split_count(std::uint64_t total, int streams);

// Events one stream sends in `duration` at `rate` per second.
std::uint64_t events_in(double rate_per_second, std::chrono::milliseconds duration);

// How long a worker waits after a send before the next one, so that requests carry several events:
// `linger`, but never longer than it takes `batch_size` events to fall due at `events_per_second`.
std::chrono::nanoseconds batch_window(double events_per_second, std::size_t batch_size, std::chrono::nanoseconds linger);

// Where the simulated timeline goes. A stream's span is only known once its events are generated
// (a dry run), so the run plan generates them and then checks the end of the latest stream here.
struct TimelineLimits {
  std::chrono::microseconds allowed_future = std::chrono::hours(1);   // default start: end by about now
  std::chrono::microseconds max_future = std::chrono::hours(23);      // ingest rejects > 24 h ahead
};

// An explicit --start-time is kept as long as the timeline ends within `max_future` of now.
core::Result<void> check_explicit_timeline(core::Timestamp latest_end, core::Timestamp now,
                                           const TimelineLimits& limits = {});

// The smallest whole number of `unit`s to move a timeline back so that it ends by `now` (0 when it
// already does).
std::chrono::microseconds shift_back(core::Timestamp latest_end, core::Timestamp now, std::chrono::microseconds unit);

}  // namespace edfleet::sim
