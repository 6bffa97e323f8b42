#include <algorithm>
#include <thread>

#include "edfleet/testing/wait.h"

namespace edfleet::testing {

bool wait_until(std::function<bool()> condition, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto delay = std::chrono::microseconds(1000);
  constexpr auto kMaxDelay = std::chrono::microseconds(50000);
  while (true) {
    if (condition()) return true;
    auto now = Clock::now();
    if (now >= deadline) return false;
    // Sleep at most until the deadline so the last check happens right at it.
    std::this_thread::sleep_for(std::min<Clock::duration>(delay, deadline - now));
    delay = std::min(delay * 3 / 2, kMaxDelay);
  }
}

}  // namespace edfleet::testing
