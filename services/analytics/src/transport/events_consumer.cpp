#include "transport/events_consumer.h"

#include <chrono>
#include <map>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "edfleet/core/log.h"
#include "transport/event_mapping.h"

namespace edfleet::analytics {

EventsConsumer::EventsConsumer(EventCountStore& store, const core::Clock& clock,
                               prometheus::Registry* registry)
    : store_(store), apply_(store), clock_(clock) {
  if (registry == nullptr) return;
  applied_ = &prometheus::BuildCounter()
                  .Name("edfleet_analytics_events_applied_total")
                  .Help("Events counted (each event once, whatever the deliveries)")
                  .Register(*registry)
                  .Add({});
  duplicates_ = &prometheus::BuildCounter()
                     .Name("edfleet_analytics_duplicates_total")
                     .Help("Events delivered again after they were counted, and ignored")
                     .Register(*registry)
                     .Add({});
  apply_seconds_ = &prometheus::BuildHistogram()
                        .Name("edfleet_analytics_batch_apply_seconds")
                        .Help("Time to apply one consumed batch in one Postgres transaction")
                        .Register(*registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005,
                                                                         0.01, 0.025, 0.05, 0.1, 0.25,
                                                                         0.5, 1, 2.5});
  lag_seconds_ = &prometheus::BuildHistogram()
                      .Name("edfleet_analytics_event_lag_seconds")
                      .Help("From a record's Kafka timestamp to the commit of the batch counting it")
                      .Register(*registry)
                      .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1,
                                                                       0.25, 0.5, 1, 2.5, 5, 10, 30,
                                                                       60});
}

void EventsConsumer::handle(std::span<const kafka::ConsumedMessage> batch) {
  const auto started = clock_.steady_now();
  std::vector<EventFact> facts;
  facts.reserve(batch.size());
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next_offsets;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& message = batch[i];
    auto fact = parse_event_fact(message.value);
    if (!fact) {
      const auto& error = fact.error();
      throw kafka::PoisonMessage(
          i, error.field.empty() ? error.message : error.field + ": " + error.message);
    }
    facts.push_back(std::move(fact).value());
    auto& next = next_offsets[{message.topic, message.partition}];
    next = std::max(next, message.offset + 1);
  }
  std::vector<PartitionOffset> offsets;
  offsets.reserve(next_offsets.size());
  for (const auto& [key, next] : next_offsets) offsets.push_back({key.first, key.second, next});

  const auto outcome = apply_(facts, offsets);

  const auto elapsed = std::chrono::duration<double>(clock_.steady_now() - started).count();
  if (applied_ != nullptr) {
    applied_->Increment(static_cast<double>(outcome.applied));
    duplicates_->Increment(static_cast<double>(outcome.duplicates));
    apply_seconds_->Observe(elapsed);
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
    for (const auto& message : batch) {
      if (message.timestamp_ms > 0) {
        lag_seconds_->Observe(static_cast<double>(now_ms - message.timestamp_ms) / 1000.0);
      }
    }
  }
  if (outcome.duplicates > 0) {
    core::log::info("ignored events counted before",
                    {{"duplicates", outcome.duplicates}, {"applied", outcome.applied}});
  }
  core::log::debug("applied batch", {{"records", batch.size()},
                                     {"applied", outcome.applied},
                                     {"duplicates", outcome.duplicates},
                                     {"seconds", elapsed}});
}

std::optional<std::int64_t> EventsConsumer::stored_offset(const std::string& topic,
                                                          std::int32_t partition) {
  // Throws StoreUnavailable when Postgres is down; the loop asks again with backoff rather than
  // guessing from the group's committed offset.
  return store_.stored_offset(topic, partition);
}

}  // namespace edfleet::analytics
