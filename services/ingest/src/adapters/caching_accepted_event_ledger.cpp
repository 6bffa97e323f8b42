#include "adapters/caching_accepted_event_ledger.h"

#include <algorithm>
#include <vector>

namespace edfleet::ingest {

CachingAcceptedEventLedger::CachingAcceptedEventLedger(AcceptedEventLedger& inner, std::size_t capacity)
    : inner_(inner), capacity_(capacity) {
  entries_.reserve(std::min<std::size_t>(capacity, 1 << 20));
}

std::vector<LedgerClaim> CachingAcceptedEventLedger::claim(std::span<const AcceptedEvent> wanted) {
  std::vector<LedgerClaim> claims(wanted.size());
  std::vector<AcceptedEvent> missing;
  std::vector<std::size_t> missing_at;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto it = entries_.find(wanted[i].key);
      if (it == entries_.end()) {
        missing.push_back(wanted[i]);
        missing_at.push_back(i);
        continue;
      }
      recency_.splice(recency_.begin(), recency_, it->second.position);
      claims[i] = {LedgerClaim::State::kAccepted, it->second.hash};
    }
  }
  if (missing.empty()) return claims;
  auto stored = inner_.claim(missing);
  std::lock_guard lock(mutex_);
  for (std::size_t j = 0; j < stored.size() && j < missing_at.size(); ++j) {
    // Only accepted rows: a pending claim may yet be released, or be accepted with its hash.
    if (stored[j].state == LedgerClaim::State::kAccepted) remember(missing[j].key, stored[j].content_hash);
    claims[missing_at[j]] = std::move(stored[j]);
  }
  return claims;
}

void CachingAcceptedEventLedger::record(std::span<const AcceptedEvent> events) {
  inner_.record(events);
  std::lock_guard lock(mutex_);
  for (const auto& event : events) {
    // The store keeps the first hash of a key; so does the cache.
    if (entries_.find(event.key) == entries_.end()) remember(event.key, event.content_hash);
  }
}

void CachingAcceptedEventLedger::release(std::span<const AcceptedEvent> claims) {
  // Pending claims are never cached: nothing to forget.
  inner_.release(claims);
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
