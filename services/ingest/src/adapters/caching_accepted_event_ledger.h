// A bounded in-memory cache in front of another AcceptedEventLedger, so retries of recent events are
// answered without a database round trip. Only positive entries are cached (an id another replica
// accepted meanwhile must still be found in the store); the least recently used entry goes first.
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <mutex>

#include "ports/accepted_event_ledger.h"

namespace edfleet::ingest {

class CachingAcceptedEventLedger final : public AcceptedEventLedger {
 public:
  CachingAcceptedEventLedger(AcceptedEventLedger& inner, std::size_t capacity);

  std::map<EventKey, std::string> find(std::span<const EventKey> keys) override;
  void record(std::span<const AcceptedEvent> events) override;

  std::size_t size() const;

 private:
  void remember(const EventKey& key, const std::string& hash);  // mutex_ held

  AcceptedEventLedger& inner_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<EventKey> recency_;   // front = most recent
  struct Entry {
    std::string hash;
    std::list<EventKey>::iterator position;
  };
  std::map<EventKey, Entry> entries_;
};

}  // namespace edfleet::ingest
