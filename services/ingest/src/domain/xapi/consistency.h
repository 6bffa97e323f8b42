// The X-Experience-API-Consistent-Through watermark: the latest `stored` time up to which every
// statement this process accepted is visible to GET (materialised into Postgres).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <span>
#include <utility>

#include "domain/event.h"
#include "edfleet/core/clock.h"

namespace edfleet::ingest::xapi {

// Statements are registered as pending (with their stored time) before they are published and
// settled when the materialiser has written them (or publishing failed). The watermark is just before
// the oldest pending stored time, or now when nothing is pending. Thread-safe.
//
// Scope: one process. Statements published by another replica, or before a restart, are not tracked
// (see README "Consistent-Through").
class ConsistencyTracker {
 public:
  explicit ConsistencyTracker(const core::Clock& clock) : clock_(clock) {}

  void pending(std::span<const EventKey> keys, core::Timestamp stored);
  void settled(const EventKey& key);
  core::Timestamp consistent_through() const;
  std::size_t pending_count() const;

 private:
  const core::Clock& clock_;
  mutable std::mutex mutex_;
  std::map<EventKey, core::Timestamp> pending_;
  std::multiset<core::Timestamp> times_;
};

}  // namespace edfleet::ingest::xapi
