// Port: the record of event ids already accepted, with a fingerprint of their content, so a retried
// event is recognised (duplicate) and a reused id with different content is refused.
#pragma once

#include <map>
#include <span>
#include <string>

#include "domain/event.h"
#include "edfleet/core/clock.h"

namespace edfleet::ingest {

struct AcceptedEvent {
  EventKey key;
  std::string content_hash;
  core::Timestamp accepted_at;
};

// Lookups and inserts are batched (one round trip per batch). Both may throw when the store is
// unreachable; the use case then reports the affected events as unavailable (safe to retry).
class AcceptedEventLedger {
 public:
  virtual ~AcceptedEventLedger() = default;
  // The content hash of each key in `keys` that was accepted before; absent keys are new.
  virtual std::map<EventKey, std::string> find(std::span<const EventKey> keys) = 0;
  // Records accepted events. Idempotent: a key already present keeps its first hash.
  virtual void record(std::span<const AcceptedEvent> events) = 0;
};

}  // namespace edfleet::ingest
