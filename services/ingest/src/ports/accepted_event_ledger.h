// Port: the record of event ids claimed or accepted, with a fingerprint of their content, so a retried
// event is recognised (duplicate) and a reused id with different content is refused, across requests
// and replicas. An id is claimed (pending) before it is published and marked accepted once the stream
// acknowledged it.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "domain/event.h"
#include "edfleet/core/clock.h"

namespace edfleet::ingest {

struct AcceptedEvent {
  EventKey key;
  std::string content_hash;
  core::Timestamp accepted_at;  // for claim(): the claim time
};

// What claim() found for one key.
struct LedgerClaim {
  enum class State {
    kClaimed,   // absent before: now held, pending, by this call (publish it, then record or release)
    kPending,   // held by another call, replica, or one that died before recording (content_hash is its)
    kAccepted,  // the stream acknowledged it before (content_hash is the accepted content's)
  };
  State state = State::kClaimed;
  std::string content_hash;
};

// Calls are batched (one round trip per batch) and may throw when the store is unreachable; the use
// case then reports the affected events as unavailable (safe to retry). Claims are atomic per key: of
// concurrent claims of one key, on any replica, exactly one gets kClaimed.
class AcceptedEventLedger {
 public:
  virtual ~AcceptedEventLedger() = default;
  // For each of `wanted` (key, content hash, claim time), in order: claims it when absent, otherwise
  // reports the state and hash it is held with.
  virtual std::vector<LedgerClaim> claim(std::span<const AcceptedEvent> wanted) = 0;
  // Marks events accepted (their claims, pending with the same hash, or absent rows). Idempotent: a key
  // accepted before, or held with another hash, keeps what it has.
  virtual void record(std::span<const AcceptedEvent> events) = 0;
  // Drops pending claims with these hashes (their publishing failed), so the ids are free again. Leaves
  // accepted rows and other hashes alone.
  virtual void release(std::span<const AcceptedEvent> claims) = 0;
};

}  // namespace edfleet::ingest
