#include "domain/session_sequence.h"

#include "domain/event_types.h"
#include "edfleet/contracts/event_types.h"
#include "edfleet/core/hash.h"

namespace edfleet::ingest {

std::optional<SequenceSlot> sequence_slot(const EventEnvelope& event) {
  if (!contracts::is_session_type(event.type) || event.subject.session_id.empty()) return std::nullopt;
  const auto sequence = number_at(event.payload, "class_session.sequence");
  if (!sequence || *sequence < 1) return std::nullopt;
  return SequenceSlot{event.subject.session_id, static_cast<std::uint64_t>(*sequence)};
}

EventKey sequence_key(const std::string& tenant, const SequenceSlot& slot) {
  const std::string digest = core::sha256_hex("edfleet-session-sequence\n" + std::to_string(slot.session_id.size()) +
                                              ":" + slot.session_id + "\n" + std::to_string(slot.sequence));
  // 8-4-4-4-12 hex digits: a valid UUID (version nibble 8, "custom"), as the ledger's ids are.
  std::string uuid = digest.substr(0, 8) + "-" + digest.substr(8, 4) + "-8" + digest.substr(13, 3) + "-" +
                     digest.substr(16, 4) + "-" + digest.substr(20, 12);
  return EventKey{tenant, std::move(uuid)};
}

std::uint64_t SequenceGaps::observe(const std::string& tenant, const SequenceSlot& slot) {
  std::lock_guard lock(mutex_);
  const Session session{tenant, slot.session_id};
  auto it = highest_.find(session);
  if (it == highest_.end()) {
    recency_.push_front(session);
    highest_.emplace(session, std::make_pair(slot.sequence, recency_.begin()));
    if (highest_.size() > capacity_) {
      highest_.erase(recency_.back());
      recency_.pop_back();
    }
    // First sight (in this process): what came before may have gone to another replica or an
    // earlier run, so nothing counts as missing yet.
    return 0;
  }
  recency_.splice(recency_.begin(), recency_, it->second.second);
  std::uint64_t& highest = it->second.first;
  if (slot.sequence <= highest) return 0;
  const std::uint64_t skipped = slot.sequence - highest - 1;
  highest = slot.sequence;
  return skipped;
}

}  // namespace edfleet::ingest
