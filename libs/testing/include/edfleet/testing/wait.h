// edfleet::testing::wait_until — poll a condition instead of sleeping. Part of edfleet::testing_base
// (no Kafka or Postgres), so libs/kafka's own tests can use it too; testing.h includes it.
#pragma once

#include <chrono>
#include <functional>

namespace edfleet::testing {

// Polls `condition` (first at once, then with a backoff growing from 1 ms to 50 ms) until it
// returns true (-> true) or `timeout` passes (-> false, after one last check). Exceptions from
// the condition propagate. Use it instead of sleeping.
bool wait_until(std::function<bool()> condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace edfleet::testing
