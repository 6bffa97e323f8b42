// Shared helpers for the simulator's tests: a fixed simulated start and ways to run a stream.
#pragma once

#include <vector>

#include "domain/stream_generator.h"
#include "edfleet/core/time_format.h"

namespace edfleet::sim::test {

// A Monday at midnight UTC.
inline core::Timestamp test_start() { return *core::parse_rfc3339("2026-03-02T00:00:00Z"); }

inline StreamSpec spec(std::uint64_t seed = 7, int stream = 0, Cohort cohort = {40, 6, 3}) {
  StreamSpec s;
  s.seed = seed;
  s.stream = stream;
  s.tenant = "acme";
  s.start = test_start();
  s.cohort = cohort;
  return s;
}

inline std::vector<SimEvent> generate(const StreamSpec& s, std::size_t n) {
  StreamGenerator generator(s);
  std::vector<SimEvent> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(generator.next());
  return out;
}

// Every event before `end` (the first one at or after it is dropped).
inline std::vector<SimEvent> generate_until(const StreamSpec& s, core::Timestamp end) {
  StreamGenerator generator(s);
  std::vector<SimEvent> out;
  for (SimEvent e = generator.next(); e.occurred_at < end; e = generator.next()) out.push_back(std::move(e));
  return out;
}

template <typename T>
const T* payload_as(const SimEvent& e) {
  return std::get_if<T>(&e.payload);
}

template <typename T>
const T* detail_as(const SimEvent& e) {
  const auto* c = std::get_if<ClassSessionEvent>(&e.payload);
  return c == nullptr ? nullptr : std::get_if<T>(&c->detail);
}

}  // namespace edfleet::sim::test
