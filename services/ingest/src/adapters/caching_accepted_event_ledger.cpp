#include "adapters/caching_accepted_event_ledger.h"

#include <algorithm>
#include <vector>

namespace edfleet::ingest {

CachingAcceptedEventLedger::CachingAcceptedEventLedger(AcceptedEventLedger& inner, std::size_t capacity)
    : inner_(inner), capacity_(capacity) {
  entries_.reserve(std::min<std::size_t>(capacity, 1 << 20));
}

std::map<EventKey, std::string> CachingAcceptedEventLedger::find(std::span<const EventKey> keys) {
  std::map<EventKey, std::string> found;
  std::vector<EventKey> missing;
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) {
      const auto it = entries_.find(key);
      if (it == entries_.end()) {
        missing.push_back(key);
        continue;
      }
      recency_.splice(recency_.begin(), recency_, it->second.position);
      found.emplace(key, it->second.hash);
    }
  }
  if (missing.empty()) return found;
  auto stored = inner_.find(missing);
  std::lock_guard lock(mutex_);
  for (auto& [key, hash] : stored) {
    remember(key, hash);
    found.emplace(key, std::move(hash));
  }
  return found;
}

void CachingAcceptedEventLedger::record(std::span<const AcceptedEvent> events) {
  inner_.record(events);
  std::lock_guard lock(mutex_);
  for (const auto& event : events) {
    // The store keeps the first hash of a key; so does the cache.
    if (entries_.find(event.key) == entries_.end()) remember(event.key, event.content_hash);
  }
}

std::size_t CachingAcceptedEventLedger::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void CachingAcceptedEventLedger::remember(const EventKey& key, const std::string& hash) {
  if (capacity_ == 0) return;
  const auto it = entries_.find(key);
  if (it != entries_.end()) {
    recency_.splice(recency_.begin(), recency_, it->second.position);
    return;
  }
  const auto inserted = entries_.emplace(key, Entry{hash, {}}).first;
  recency_.push_front(&inserted->first);
  inserted->second.position = recency_.begin();
  while (entries_.size() > capacity_) {
    const EventKey* oldest = recency_.back();
    recency_.pop_back();
    entries_.erase(*oldest);
  }
}

}  // namespace edfleet::ingest
