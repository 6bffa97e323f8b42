#include "domain/xapi/consistency.h"

namespace edfleet::ingest::xapi {

void ConsistencyTracker::pending(std::span<const EventKey> keys, core::Timestamp stored) {
  std::lock_guard lock(mutex_);
  for (const auto& key : keys) {
    if (pending_.emplace(key, stored).second) times_.insert(stored);
  }
}

void ConsistencyTracker::settled(const EventKey& key) {
  std::lock_guard lock(mutex_);
  const auto it = pending_.find(key);
  if (it == pending_.end()) return;
  times_.erase(times_.find(it->second));
  pending_.erase(it);
}

core::Timestamp ConsistencyTracker::consistent_through() const {
  const core::Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  if (times_.empty()) return now;
  return std::min(now, *times_.begin() - std::chrono::microseconds(1));
}

std::size_t ConsistencyTracker::pending_count() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace edfleet::ingest::xapi
