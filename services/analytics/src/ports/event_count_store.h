// EventCountStore: where the counters live (Postgres in production, a map in unit tests).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/count_aggregator.h"
#include "domain/event_fact.h"

namespace edfleet::analytics {

// Thrown by a store when it cannot be reached or a transaction fails for a reason that retrying may
// fix (connection lost, serialization failure, deadlock). Consumers retry; queries answer UNAVAILABLE.
struct StoreUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The next offset to consume from one topic partition, stored with the counts it covers.
struct PartitionOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
  bool operator==(const PartitionOffset&) const = default;
};

// One atomic application of a consumed batch. Nothing is visible or durable unless commit() returns;
// destroying the object without commit() rolls everything back. Methods may throw StoreUnavailable
// (or other exceptions for bugs); the batch is then retried from the start in a new transaction.
class CountBatch {
 public:
  virtual ~CountBatch() = default;
  // Records the events as processed. Returns, aligned with `events`, true for each event recorded
  // now and false for each already recorded (by an earlier batch, or by a concurrent writer that
  // committed first). The keys must be distinct.
  virtual std::vector<bool> claim(std::span<const EventKey> events) = 0;
  // Adds the increments to the counters.
  virtual void add(const CountDeltas& deltas) = 0;
  // Stores how far each partition has been applied; an offset never moves backwards.
  virtual void store_offsets(std::span<const PartitionOffset> offsets) = 0;
  virtual void commit() = 0;
};

// A row of the per-day counts.
struct EventCountRow {
  std::string day;   // "YYYY-MM-DD"
  std::string type;
  std::int64_t count = 0;
  bool operator==(const EventCountRow&) const = default;
};

// The counters: written in atomic batches, read by the queries. Reads throw StoreUnavailable when
// the store cannot be reached.
class EventCountStore {
 public:
  virtual ~EventCountStore() = default;

  virtual std::unique_ptr<CountBatch> begin_batch() = 0;

  // The stored next offset of a partition, or nullopt if none was ever stored.
  virtual std::optional<std::int64_t> stored_offset(const std::string& topic, std::int32_t partition) = 0;

  // Rows of tenant with from_day <= day <= to_day (days "YYYY-MM-DD"), restricted to `types` unless
  // empty; ordered by day, then type.
  virtual std::vector<EventCountRow> event_counts(std::string_view tenant, std::string_view from_day,
                                                  std::string_view to_day,
                                                  std::span<const std::string> types) = 0;

  // One learner's counters, or nullopt if the learner has no events in the tenant.
  virtual std::optional<LearnerCounters> learner_counters(std::string_view tenant,
                                                          std::string_view learner_id) = 0;
};

}  // namespace edfleet::analytics
