#include "domain/publish_batch.h"

#include <algorithm>
#include <map>
#include <utility>

#include "domain/content_hash.h"
#include "edfleet/core/log.h"

namespace edfleet::ingest {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

EventOutcome unavailable(const std::string& id, std::string message) {
  return EventOutcome::rejected(id, {RejectReason::kUnavailable, "", std::move(message)});
}

EventOutcome id_reused(const std::string& id) {
  return EventOutcome::rejected(
      id, {RejectReason::kIdReused, "id",
           "id " + id + " was accepted before with different content; use a new id for a new event, or resend "
                        "the original content unchanged."});
}

// Releases claimed keys however the processing ends.
class ClaimGuard {
 public:
  ClaimGuard(InFlightKeys& keys, std::vector<EventKey> claimed) : keys_(keys), claimed_(std::move(claimed)) {}
  ~ClaimGuard() { keys_.release(claimed_); }
  ClaimGuard(const ClaimGuard&) = delete;
  ClaimGuard& operator=(const ClaimGuard&) = delete;

 private:
  InFlightKeys& keys_;
  std::vector<EventKey> claimed_;
};

}  // namespace

std::vector<std::size_t> InFlightKeys::claim_some(const std::vector<EventKey>& wanted,
                                                  std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  for (;;) {
    std::vector<std::size_t> claimed;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (held_.insert(wanted[i]).second) claimed.push_back(i);
    }
    if (!claimed.empty() || wanted.empty()) return claimed;
    if (released_.wait_until(lock, deadline) == std::cv_status::timeout) {
      // One last look: a release may have raced with the timeout.
      for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (held_.insert(wanted[i]).second) claimed.push_back(i);
      }
      return claimed;
    }
  }
}

void InFlightKeys::release(const std::vector<EventKey>& keys) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) held_.erase(key);
  }
  released_.notify_all();
}

std::size_t InFlightKeys::size() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

PublishBatch::PublishBatch(EventPublisher& publisher, AcceptedEventLedger& ledger, AcceptedEventLedger& slots,
                           core::Clock& clock, core::IdGenerator& ids, PublishSettings settings)
    : publisher_(publisher),
      ledger_(ledger),
      slots_(slots),
      clock_(clock),
      ids_(ids),
      settings_(std::move(settings)) {}

core::Result<BatchResult> PublishBatch::execute(std::vector<EventEnvelope> events, const BatchContext& context) {
  if (events.size() > settings_.max_batch_events) {
    return core::Error{core::ErrorCode::kTooLarge,
                       "A batch holds at most " + std::to_string(settings_.max_batch_events) + " events; this one has " +
                           std::to_string(events.size()) + ". Split it into smaller batches.",
                       "events"};
  }
  if (!context.caller_tenant.empty() && !is_tenant_slug(context.caller_tenant)) {
    return core::Error::invalid("The caller's tenant \"" + context.caller_tenant + "\" is not a valid tenant slug.",
                                "tenant");
  }

  const core::Timestamp now = clock_.now();
  const std::string trace_id = context.trace_id.empty() ? ids_.trace_id() : context.trace_id;
  const std::size_t n = events.size();
  std::vector<EventOutcome> outcomes(n);
  std::vector<std::string> hashes(n);
  std::vector<std::size_t> copy_of(n, kNone);  // a later valid copy of an id -> index of the first
  std::map<EventKey, std::size_t> first_seen;
  std::vector<std::size_t> pending;           // first occurrences of valid events, still to process

  for (std::size_t i = 0; i < n; ++i) {
    EventEnvelope& event = events[i];
    outcomes[i].id = event.id;
    if (auto rejection = validate_event(event, context.caller_tenant, settings_.limits, now)) {
      outcomes[i] = EventOutcome::rejected(event.id, std::move(*rejection));
      continue;
    }
    hashes[i] = content_hash(event);
    const auto [it, inserted] = first_seen.emplace(key_of(event), i);
    if (!inserted) {
      // Judged below, once the content accepted for the id is known.
      copy_of[i] = it->second;
      continue;
    }
    event.received_at = from_timestamp(now);
    if (event.trace_id.empty()) event.trace_id = trace_id;
    pending.push_back(i);
  }

  std::size_t published = 0;
  std::uint64_t gaps = 0;
  std::vector<std::string> accepted_hashes(n);
  const auto deadline = std::chrono::steady_clock::now() + settings_.in_flight_wait;
  while (!pending.empty()) {
    std::vector<EventKey> keys;
    keys.reserve(pending.size());
    for (std::size_t i : pending) keys.push_back(key_of(events[i]));
    const std::vector<std::size_t> claimed_positions = in_flight_.claim_some(keys, deadline);
    if (claimed_positions.empty()) {
      for (std::size_t i : pending) {
        outcomes[i] = unavailable(events[i].id,
                                  "Another request is still publishing this event id; retry later (it is safe).");
      }
      break;
    }
    std::vector<std::size_t> claimed;
    std::vector<EventKey> claimed_keys;
    std::vector<bool> taken(pending.size(), false);
    for (std::size_t position : claimed_positions) {
      claimed.push_back(pending[position]);
      claimed_keys.push_back(keys[position]);
      taken[position] = true;
    }
    {
      ClaimGuard guard(in_flight_, std::move(claimed_keys));
      process(events, claimed, hashes, outcomes, accepted_hashes, published, gaps);
    }
    std::vector<std::size_t> rest;
    for (std::size_t p = 0; p < pending.size(); ++p) {
      if (!taken[p]) rest.push_back(pending[p]);
    }
    pending = std::move(rest);
  }

  // Later copies of an id compare with the content accepted for it (by an earlier batch, or the
  // first copy in this one), not with the first copy: after a changed copy, the unchanged retry of
  // an accepted event is still a duplicate.
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t first = copy_of[i];
    if (first == kNone) continue;
    const std::string& accepted = accepted_hashes[first];
    if (accepted.empty()) {
      // Nothing is accepted under this id yet (the first copy is unavailable): the copy shares its fate.
      outcomes[i] = outcomes[first];
      outcomes[i].id = events[i].id;
    } else if (hashes[i] == accepted) {
      outcomes[i] = EventOutcome{events[i].id, true, true, RejectReason::kNone, "", ""};
    } else if (outcomes[first].accepted && !outcomes[first].duplicate) {
      outcomes[i] = EventOutcome::rejected(
          events[i].id, {RejectReason::kIdReused, "id",
                         "id " + events[i].id + " appears earlier in this batch with different content; give "
                                                "each event its own id."});
    } else {
      outcomes[i] = id_reused(events[i].id);
    }
  }

  BatchResult result;
  result.published = published;
  result.sequence_gaps = gaps;
  for (const auto& outcome : outcomes) {
    if (outcome.accepted) {
      ++result.accepted;
      if (outcome.duplicate) ++result.duplicates;
    } else {
      ++result.rejected;
      if (outcome.reason == RejectReason::kUnavailable) ++result.unavailable;
    }
  }
  result.outcomes = std::move(outcomes);
  return result;
}

void PublishBatch::process(std::vector<EventEnvelope>& events, const std::vector<std::size_t>& claimed,
                           const std::vector<std::string>& hashes, std::vector<EventOutcome>& outcomes,
                           std::vector<std::string>& accepted_hashes, std::size_t& published,
                           std::uint64_t& gaps) {
  // Claim the ids in the ledger, shared by every replica, before publishing (one round trip): of
  // concurrent batches with one id, on any replica, one claims it and the others see its hash, and an
  // event on the stream always has its row, even when this process dies before recording it.
  const core::Timestamp now = clock_.now();
  std::vector<AcceptedEvent> wanted;
  wanted.reserve(claimed.size());
  for (std::size_t i : claimed) wanted.push_back({key_of(events[i]), hashes[i], now});
  // A session event also claims its (session, sequence) slot, held by its id (session_sequence.h).
  std::vector<AcceptedEvent> wanted_slots;
  std::vector<std::optional<std::size_t>> slot_claim(claimed.size());  // position in wanted_slots
  std::vector<std::optional<SequenceSlot>> slots(claimed.size());
  for (std::size_t k = 0; k < claimed.size(); ++k) {
    const EventEnvelope& event = events[claimed[k]];
    slots[k] = sequence_slot(event);
    if (!slots[k]) continue;
    slot_claim[k] = wanted_slots.size();
    wanted_slots.push_back({sequence_key(event.tenant, *slots[k]), event.id, now});
  }
  std::vector<LedgerClaim> claims;
  std::vector<LedgerClaim> slot_claims;
  try {
    claims = ledger_.claim(wanted);
    if (!wanted_slots.empty()) slot_claims = slots_.claim(wanted_slots);
  } catch (const std::exception& e) {
    core::log::error("accepted-event ledger claim failed", {{"error", e.what()}, {"events", claimed.size()}});
    for (std::size_t i : claimed) {
      outcomes[i] = unavailable(events[i].id,
                                "The idempotency ledger is unavailable, so nothing was published; retry later.");
    }
    // Ids claimed before the slots failed stay pending: a retry of the same events publishes them, as
    // after any crash between claim and publish.
    return;
  }
  const auto claim_at = [&claims](std::size_t position) {
    return position < claims.size() ? claims[position] : LedgerClaim{};
  };
  const auto slot_at = [&slot_claims](std::size_t position) {
    return position < slot_claims.size() ? slot_claims[position] : LedgerClaim{};
  };
  std::vector<AcceptedEvent> records;        // event ids to mark accepted
  std::vector<AcceptedEvent> releases;       // event id claims of this call to give up
  std::vector<AcceptedEvent> slot_records;   // the same for sequence slots
  std::vector<AcceptedEvent> slot_releases;
  const auto slot_claimed_here = [&](std::size_t k) {
    return slot_claim[k] && slot_at(*slot_claim[k]).state == LedgerClaim::State::kClaimed;
  };

  std::vector<std::size_t> fresh;
  std::vector<bool> mine;  // per fresh event: claimed by this call (released again if not acknowledged)
  std::vector<std::size_t> fresh_position;  // per fresh event: its position k in `claimed`
  for (std::size_t k = 0; k < claimed.size(); ++k) {
    const std::size_t i = claimed[k];
    const LedgerClaim claim = claim_at(k);
    if (slot_claim[k]) {
      const LedgerClaim slot = slot_at(*slot_claim[k]);
      if (slot.state != LedgerClaim::State::kClaimed && slot.content_hash != events[i].id) {
        // Another event holds the slot: refuse this one, and give back the id it may just have claimed.
        outcomes[i] = EventOutcome::rejected(
            events[i].id, {RejectReason::kSequenceConflict, "class_session.sequence",
                           "session " + slots[k]->session_id + " already has an event with sequence " +
                               std::to_string(slots[k]->sequence) + " (id " + slot.content_hash +
                               "); a sequence names one event of its session."});
        if (claim.state == LedgerClaim::State::kClaimed) releases.push_back(wanted[k]);
        continue;
      }
    }
    if (claim.state == LedgerClaim::State::kClaimed) {
      fresh.push_back(i);
      fresh_position.push_back(k);
      mine.push_back(true);
    } else if (claim.content_hash != hashes[i]) {
      // Held with other content, accepted or pending. For a pending one nothing may be accepted yet, so
      // later copies in this batch share this event's fate (accepted_hashes stays empty).
      if (claim.state == LedgerClaim::State::kAccepted) accepted_hashes[i] = claim.content_hash;
      outcomes[i] = id_reused(events[i].id);
      if (slot_claimed_here(k)) slot_releases.push_back(wanted_slots[*slot_claim[k]]);
    } else if (claim.state == LedgerClaim::State::kAccepted) {
      accepted_hashes[i] = claim.content_hash;
      outcomes[i] = EventOutcome{events[i].id, true, true, RejectReason::kNone, "", ""};
      // Accepted before its slot was kept (or its slot row was lost): the slot is its own now.
      if (slot_claimed_here(k)) slot_records.push_back(wanted_slots[*slot_claim[k]]);
    } else {
      // Pending with this content: another replica is publishing it, or a process died before
      // recording it (maybe before the stream had it). Publishing it again loses nothing; consumers
      // de-duplicate by event id.
      fresh.push_back(i);
      fresh_position.push_back(k);
      mine.push_back(false);
    }
  }

  std::vector<PublishAck> acks;
  if (!fresh.empty()) {
    std::vector<EventEnvelope> batch;
    batch.reserve(fresh.size());
    for (std::size_t i : fresh) batch.push_back(events[i]);
    try {
      acks = publisher_.publish(batch);
    } catch (const std::exception& e) {
      core::log::error("publishing events failed", {{"error", e.what()}, {"events", fresh.size()}});
      acks.assign(fresh.size(), PublishAck{false, e.what()});
    }
  }

  for (std::size_t f = 0; f < fresh.size(); ++f) {
    const std::size_t i = fresh[f];
    const std::size_t k = fresh_position[f];
    const bool ok = f < acks.size() && acks[f].ok;
    if (ok) {
      outcomes[i] = EventOutcome{events[i].id, true, false, RejectReason::kNone, "", ""};
      accepted_hashes[i] = hashes[i];
      const core::Timestamp received = to_timestamp(*events[i].received_at);
      records.push_back({key_of(events[i]), hashes[i], received});
      if (slot_claim[k]) {
        slot_records.push_back({wanted_slots[*slot_claim[k]].key, events[i].id, received});
        gaps += sequence_gaps_.observe(events[i].tenant, *slots[k]);
      }
      ++published;
    } else {
      const std::string error = f < acks.size() ? acks[f].error : std::string("no acknowledgement");
      outcomes[i] = unavailable(events[i].id, "The event stream did not acknowledge the event (" + error +
                                                  "); it was not accepted. Retrying is safe.");
      if (mine[f]) releases.push_back({key_of(events[i]), hashes[i], now});
      if (slot_claimed_here(k)) slot_releases.push_back(wanted_slots[*slot_claim[k]]);
    }
  }
  for (auto [store, claims_to_release] : {std::pair{&ledger_, &releases}, std::pair{&slots_, &slot_releases}}) {
    if (claims_to_release->empty()) continue;
    try {
      store->release(*claims_to_release);
    } catch (const std::exception& e) {
      // Best effort: the claims stay pending. A retry of the same events publishes them then; other
      // content under these ids (or other events for these slots) is refused until the stale claims
      // are removed.
      core::log::error("releasing event claims failed; they stay pending",
                       {{"error", e.what()}, {"events", claims_to_release->size()}});
    }
  }
  for (auto [store, accepted] : {std::pair{&ledger_, &records}, std::pair{&slots_, &slot_records}}) {
    if (accepted->empty()) continue;
    try {
      store->record(*accepted);
    } catch (const std::exception& e) {
      // The events are on the stream already: report them accepted. Their claims stay pending: a retry
      // publishes them again (consumers de-duplicate by event id, so that costs a duplicate message, not
      // a wrong count), and other content under their ids is still refused.
      core::log::error("recording accepted events failed; a retry may publish them again",
                       {{"error", e.what()}, {"events", accepted->size()}});
    }
  }
}

}  // namespace edfleet::ingest
