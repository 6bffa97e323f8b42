// The Publish use case: validate a batch, claim the valid events' ids in the ledger (telling retries
// and reused ids from new events, across replicas), publish the claimed ones, record what the stream
// acknowledged (releasing the claims of what it did not), and report one outcome per event.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "domain/event.h"
#include "domain/session_sequence.h"
#include "domain/outcome.h"
#include "domain/validation.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/result.h"
#include "ports/accepted_event_ledger.h"
#include "ports/event_publisher.h"

namespace edfleet::ingest {

struct PublishSettings {
  std::size_t max_batch_events = 1000;
  ValidationLimits limits;
  // How long a batch waits for another in-flight batch that holds the same event ids.
  std::chrono::milliseconds in_flight_wait{30000};
};

// Who is calling: the authenticated tenant (from the gateway; empty for internal callers, whose events
// must name their tenant) and the request's trace id (filled into events that carry none; when empty,
// one is generated per batch).
struct BatchContext {
  std::string caller_tenant;
  std::string trace_id;
};

struct BatchResult {
  std::vector<EventOutcome> outcomes;   // one per request event, in order
  std::size_t accepted = 0;             // including duplicates
  std::size_t rejected = 0;             // including unavailable
  std::size_t duplicates = 0;
  std::size_t unavailable = 0;
  std::size_t published = 0;            // newly put on the stream by this call
  std::uint64_t sequence_gaps = 0;      // session sequences skipped by the accepted events (SequenceGaps)
};

// Ids currently being published by some batch in this process. A batch claims the ids it is about to
// publish; another batch with one of those ids waits until they are released, then sees them in the
// ledger as duplicates. This keeps concurrent retries from publishing one event twice.
class InFlightKeys {
 public:
  // Claims every key of `wanted` that nobody holds and returns their indexes; when none is free,
  // waits until one is or `deadline` passes (then returns an empty list).
  std::vector<std::size_t> claim_some(const std::vector<EventKey>& wanted,
                                      std::chrono::steady_clock::time_point deadline);
  void release(const std::vector<EventKey>& keys);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::set<EventKey> held_;
};

// Thread-safe: one instance serves every gRPC and HTTP call.
class PublishBatch {
 public:
  // `slots` holds the per-session sequence slots (session_sequence.h), with the same claim semantics
  // as `ledger` (which holds event ids) in a store of its own.
  PublishBatch(EventPublisher& publisher, AcceptedEventLedger& ledger, AcceptedEventLedger& slots,
               core::Clock& clock, core::IdGenerator& ids,
               PublishSettings settings);

  // Per-event outcomes for `events`. Fails as a whole only when the batch itself is unacceptable
  // (more than max_batch_events: kResourceExhausted; an invalid caller tenant: kInvalidArgument).
  core::Result<BatchResult> execute(std::vector<EventEnvelope> events, const BatchContext& context);

  const PublishSettings& settings() const { return settings_; }
  // For tests: how many ids are currently claimed.
  std::size_t in_flight() const { return in_flight_.size(); }

 private:
  // Ledger claim, publish and record for claimed first occurrences (indexes into `events`). An id the
  // ledger holds pending with the same content (another replica publishing it, or a process that died
  // before recording it) is published again. Sets
  // accepted_hashes[i] to the content hash accepted under event i's id (the ledger's, or event i's
  // own once published); leaves it empty when nothing is accepted under that id.
  void process(std::vector<EventEnvelope>& events, const std::vector<std::size_t>& claimed,
               const std::vector<std::string>& hashes, std::vector<EventOutcome>& outcomes,
               std::vector<std::string>& accepted_hashes, std::size_t& published, std::uint64_t& gaps);

  EventPublisher& publisher_;
  AcceptedEventLedger& ledger_;
  AcceptedEventLedger& slots_;
  core::Clock& clock_;
  core::IdGenerator& ids_;
  PublishSettings settings_;
  InFlightKeys in_flight_;
  SequenceGaps sequence_gaps_;
};

}  // namespace edfleet::ingest
