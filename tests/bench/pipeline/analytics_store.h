// Bulk-loads analytics' PostgreSQL tables with what edfleet-analytics would have stored after
// counting `events` events of the benchmark's population, much faster than driving them all through
// Kafka: processed_events gets one row per event (random UUIDs, processed_at rising over the
// period, generated server-side with generate_series), and event_counts / learner_counters /
// learner_type_counts get counters whose totals add up to exactly those events (COPY). The schema
// is analytics' own (its embedded migrations are applied first); the primary key and BRIN index of
// processed_events are dropped for the insert and rebuilt with the same names and definitions.
#pragma once

#include <cstdint>
#include <string>

#include "bench_events.h"

namespace edfleet::bench {

struct StoreLoad {
  double seconds = 0;
  std::int64_t events = 0;
  std::size_t event_count_rows = 0;
  std::size_t learner_rows = 0;
  std::size_t learner_type_rows = 0;
};

StoreLoad bulk_load_analytics_store(const std::string& postgres_url, const Population& population, std::int64_t events);

}  // namespace edfleet::bench
