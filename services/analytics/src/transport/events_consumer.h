// EventsConsumer: the edfleet.events.v1 topic consumer (a kafka::BatchHandler).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "domain/apply_events.h"
#include "edfleet/core/clock.h"
#include "edfleet/kafka/consumer.h"
#include "ports/event_count_store.h"

namespace prometheus {
class Registry;
class Counter;
class Histogram;
}  // namespace prometheus

namespace edfleet::analytics {

// Turns each consumed batch into one ApplyEvents call: every record is parsed as an Event (a record
// that is not one, or that can never be stored, is thrown as kafka::PoisonMessage so the loop
// dead-letters it), and the next offset per partition is stored in the same transaction as the counts.
// stored_offset() hands those offsets back on assignment, so a restarted consumer resumes exactly
// where the database is, whatever Kafka's committed offsets say. StoreUnavailable propagates: the
// loop retries the batch (nothing lost, nothing doubled).
//
// Metrics (when a registry is given): edfleet_analytics_events_applied_total,
// edfleet_analytics_duplicates_total, edfleet_analytics_batch_apply_seconds (histogram) and
// edfleet_analytics_event_lag_seconds (histogram: record's Kafka timestamp -> its batch committed).
class EventsConsumer final : public kafka::BatchHandler {
 public:
  EventsConsumer(EventCountStore& store, const core::Clock& clock, prometheus::Registry* registry);

  void handle(std::span<const kafka::ConsumedMessage> batch) override;
  std::optional<std::int64_t> stored_offset(const std::string& topic, std::int32_t partition) override;

 private:
  EventCountStore& store_;
  ApplyEvents apply_;
  const core::Clock& clock_;
  prometheus::Counter* applied_ = nullptr;
  prometheus::Counter* duplicates_ = nullptr;
  prometheus::Histogram* apply_seconds_ = nullptr;
  prometheus::Histogram* lag_seconds_ = nullptr;
};

}  // namespace edfleet::analytics
