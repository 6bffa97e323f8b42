// A bounded in-memory cache in front of another AcceptedEventLedger, so retries of recent events are
// answered without a database round trip. Only accepted entries are cached: an id absent here may have
// been claimed or accepted by another replica meanwhile, and a pending claim may still be released; the
// least recently used entry goes first.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "ports/accepted_event_ledger.h"

namespace edfleet::ingest {

class CachingAcceptedEventLedger final : public AcceptedEventLedger {
 public:
  CachingAcceptedEventLedger(AcceptedEventLedger& inner, std::size_t capacity);

  std::vector<LedgerClaim> claim(std::span<const AcceptedEvent> wanted) override;
  void record(std::span<const AcceptedEvent> events) override;
  void release(std::span<const AcceptedEvent> claims) override;

  std::size_t size() const;

 private:
  void remember(const EventKey& key, const std::string& hash);  // mutex_ held

  AcceptedEventLedger& inner_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  // A hash map: the ordered map's string comparisons were ~4% of ingest's CPU at 5,000 statements/s
  // (edfleet-bench-xapi). The recency list points at the map's keys (stable in a node-based map).
  struct KeyHash {
    std::size_t operator()(const EventKey& key) const noexcept {
      return std::hash<std::string_view>{}(key.id) * 31 + std::hash<std::string_view>{}(key.tenant);
    }
  };
  std::list<const EventKey*> recency_;   // front = most recent
  struct Entry {
    std::string hash;
    std::list<const EventKey*>::iterator position;
  };
  std::unordered_map<EventKey, Entry, KeyHash> entries_;
};

}  // namespace edfleet::ingest
