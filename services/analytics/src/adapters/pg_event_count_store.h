// PgEventCountStore: the counters in PostgreSQL (schema: migrations/0001_counts.sql).
#pragma once

#include <chrono>

#include "edfleet/pg/pool.h"
#include "ports/event_count_store.h"

namespace edfleet::analytics {

// Every batch is one transaction on a pooled connection, with one multi-row statement per table
// (whole columns passed as array parameters and unnested), so its cost hardly depends on the batch
// size. Queries run in read-only transactions. Connection failures, deadlocks and serialization
// failures are reported as StoreUnavailable (the caller retries); other SQL errors propagate as is.
class PgEventCountStore final : public EventCountStore {
 public:
  explicit PgEventCountStore(pg::ConnectionPool& pool,
                             std::chrono::milliseconds acquire_timeout = std::chrono::seconds(5));

  std::unique_ptr<CountBatch> begin_batch() override;
  std::optional<std::int64_t> stored_offset(const std::string& topic, std::int32_t partition) override;
  std::vector<EventCountRow> event_counts(std::string_view tenant, std::string_view from_day,
                                          std::string_view to_day,
                                          std::span<const std::string> types) override;
  std::optional<LearnerCounters> learner_counters(std::string_view tenant,
                                                  std::string_view learner_id) override;

 private:
  pg::ConnectionPool& pool_;
  std::chrono::milliseconds acquire_timeout_;
};

}  // namespace edfleet::analytics
