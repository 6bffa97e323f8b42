#include "domain/xapi/consistency.h"

#include <algorithm>

namespace edfleet::ingest::xapi {

void ConsistencyTracker::pending(std::span<const EventKey> keys, core::Timestamp stored) {
  std::lock_guard lock(mutex_);
  for (const auto& key : keys) {
    if (pending_.emplace(key, stored).second) times_.emplace(stored, key);
  }
}

void ConsistencyTracker::settled(const EventKey& key) {
  std::lock_guard lock(mutex_);
  const auto it = pending_.find(key);
  if (it == pending_.end()) return;
  times_.erase({it->second, key});
  pending_.erase(it);
}

void ConsistencyTracker::hold(core::Timestamp floor) {
  std::lock_guard lock(mutex_);
  floor_ = floor_ ? std::max(*floor_, floor) : floor;
}

void ConsistencyTracker::caught_up(core::Timestamp as_of) {
  std::lock_guard lock(mutex_);
  floor_.reset();
  if (!publish_bound_) return;
  const core::Timestamp settled_before = as_of - *publish_bound_;
  while (!times_.empty() && times_.begin()->first < settled_before) {
    pending_.erase(times_.begin()->second);
    times_.erase(times_.begin());
  }
}

core::Timestamp ConsistencyTracker::consistent_through() const {
  const core::Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  return through_locked(now);
}

core::Timestamp ConsistencyTracker::through_locked(core::Timestamp now) const {
  core::Timestamp through = now;
  if (!times_.empty()) through = std::min(through, times_.begin()->first - std::chrono::microseconds(1));
  if (floor_) through = std::min(through, *floor_);
  if (frozen_) through = std::min(through, *frozen_);
  return through;
}

void ConsistencyTracker::records_lost() {
  const core::Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  if (!frozen_) frozen_ = through_locked(now);
}

bool ConsistencyTracker::lost() const {
  std::lock_guard lock(mutex_);
  return frozen_.has_value();
}

bool ConsistencyTracker::held() const {
  std::lock_guard lock(mutex_);
  return floor_.has_value();
}

std::size_t ConsistencyTracker::pending_count() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace edfleet::ingest::xapi
