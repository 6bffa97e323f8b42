// The per-session sequence contract: within a live class, `sequence` (ClassSessionEvent.sequence)
// names one event. Ingest keeps (tenant, session_id, sequence) unique across requests, replicas and
// restarts by claiming it in the accepted-event ledger beside the event's id, as a key derived from
// the slot and held by the event's id: a retry of the same event finds its own claim, another event
// finds the slot taken (REJECT_REASON_SEQUENCE_CONFLICT). Gaps are allowed (a client may lose an
// event) and counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "domain/event.h"

namespace edfleet::ingest {

struct SequenceSlot {
  std::string session_id;
  std::uint64_t sequence = 0;
};

// The slot of a session.* event with a sequence (> 0), else nullopt.
std::optional<SequenceSlot> sequence_slot(const EventEnvelope& event);

// The ledger key of a slot: the tenant, and a UUID derived (SHA-256) from session id and sequence,
// so the slot is claimed with the same atomic, crash-safe claims as event ids.
EventKey sequence_key(const std::string& tenant, const SequenceSlot& slot);

// The highest sequence seen per session (the most recent `capacity` sessions), to count gaps: a
// sequence more than one above a session's highest means that many events are missing (so far:
// they may still arrive late). Per process (a session spread over replicas counts less); thread-safe.
class SequenceGaps {
 public:
  explicit SequenceGaps(std::size_t capacity = 100000) : capacity_(capacity) {}
  // Notes an accepted event's slot; returns how many sequences it skipped over.
  std::uint64_t observe(const std::string& tenant, const SequenceSlot& slot);

 private:
  using Session = std::pair<std::string, std::string>;  // tenant, session id
  std::size_t capacity_;
  std::mutex mutex_;
  std::list<Session> recency_;  // most recent first
  std::map<Session, std::pair<std::uint64_t, std::list<Session>::iterator>> highest_;
};

}  // namespace edfleet::ingest
