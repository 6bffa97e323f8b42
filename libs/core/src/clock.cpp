#include "edfleet/core/clock.h"

namespace edfleet::core {

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::chrono::steady_clock::time_point SystemClock::steady_now() const {
  return std::chrono::steady_clock::now();
}

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

ManualClock::ManualClock(Timestamp start) : now_(start), steady_(std::chrono::steady_clock::time_point{}) {}

Timestamp ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

std::chrono::steady_clock::time_point ManualClock::steady_now() const {
  std::lock_guard lock(mutex_);
  return steady_;
}

void ManualClock::advance(std::chrono::microseconds by) {
  std::lock_guard lock(mutex_);
  now_ += by;
  steady_ += by;
}

void ManualClock::set(Timestamp to) {
  std::lock_guard lock(mutex_);
  if (to > now_) steady_ += (to - now_);  // the monotonic reading never goes backwards
  now_ = to;
}

}  // namespace edfleet::core
