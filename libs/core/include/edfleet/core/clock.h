// Clock: the one way edfleet code reads the time, injected so tests are deterministic.
#pragma once

#include <chrono>
#include <mutex>

namespace edfleet::core {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// Wall-clock time (UTC, microsecond resolution) plus a monotonic reading for durations.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

// The real clock.
class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
  // A process-wide instance for composition roots.
  static SystemClock& instance();
};

// A clock that only moves when told to; for tests. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start);
  Timestamp now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
  void advance(std::chrono::microseconds by);
  void set(Timestamp to);

 private:
  mutable std::mutex mutex_;
  Timestamp now_;
  std::chrono::steady_clock::time_point steady_;
};

}  // namespace edfleet::core
