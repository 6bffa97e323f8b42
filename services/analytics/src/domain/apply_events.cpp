#include "domain/apply_events.h"

#include <set>
#include <vector>

#include "domain/count_aggregator.h"

namespace edfleet::analytics {

ApplyOutcome ApplyEvents::operator()(std::span<const EventFact> facts,
                                     std::span<const PartitionOffset> offsets) {
  // Distinct keys first (claim() wants them distinct); the first occurrence of a key is the one
  // counted, the same choice the aggregator makes.
  std::vector<const EventFact*> unique;
  std::vector<EventKey> keys;
  unique.reserve(facts.size());
  keys.reserve(facts.size());
  std::set<EventKey> seen;
  for (const auto& fact : facts) {
    auto key = fact.key();
    if (seen.insert(key).second) {
      unique.push_back(&fact);
      keys.push_back(std::move(key));
    }
  }

  auto batch = store_.begin_batch();
  CountAggregator aggregator;
  if (!keys.empty()) {
    const auto fresh = batch->claim(keys);
    for (std::size_t i = 0; i < unique.size() && i < fresh.size(); ++i) {
      if (fresh[i]) aggregator.add(*unique[i]);
    }
  }
  ApplyOutcome outcome;
  outcome.applied = aggregator.deltas().events;
  outcome.duplicates = facts.size() - outcome.applied;
  if (!aggregator.deltas().empty()) batch->add(aggregator.deltas());
  if (!offsets.empty()) batch->store_offsets(offsets);
  batch->commit();
  return outcome;
}

}  // namespace edfleet::analytics
