// ApplyEvents: the exactly-once application of one consumed batch to the counters.
#pragma once

#include <cstddef>
#include <span>

#include "domain/event_fact.h"
#include "ports/event_count_store.h"

namespace edfleet::analytics {

struct ApplyOutcome {
  std::size_t applied = 0;     // events counted now
  std::size_t duplicates = 0;  // events already counted (earlier batch, or twice in this one)
};

// In one store transaction: claims the batch's event keys (only events never seen before are new),
// adds the counts of the new events, and stores the partitions' next offsets. Because the claim, the
// counts and the offsets commit together, a batch delivered again (consumer restart, rebalance,
// offsets reset, an event produced twice) changes nothing: every event is counted exactly once.
// Store exceptions (StoreUnavailable) propagate; nothing has been applied then.
class ApplyEvents {
 public:
  explicit ApplyEvents(EventCountStore& store) : store_(store) {}

  ApplyOutcome operator()(std::span<const EventFact> facts, std::span<const PartitionOffset> offsets);

 private:
  EventCountStore& store_;
};

}  // namespace edfleet::analytics
