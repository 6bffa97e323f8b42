// The exactly-once verdict of a fault test: what analytics counted, compared event by event with
// what the publishers know was acknowledged.
//
// Analytics records every counted event in processed_events (tenant, event_id), in the same
// transaction as the counters. The verdict reads that table and the counter totals from analytics'
// database in one repeatable-read snapshot, and requires:
//   - every acknowledged event is in processed_events (none lost);
//   - every event in processed_events was sent by the run (acknowledged, or unacknowledged: Kafka may
//     have it), none that was never sent;
//   - the counters hold each processed event exactly once: sum(event_counts) == |processed_events|,
//     sum(learner_counters.total_events) == sum(learner_type_counts) == processed events with a learner;
//   - GetEventCounts, for every tenant, lies between the counts of the acknowledged events (lower
//     bound) and of all sent events (upper bound), and equals exactly the counts computed here
//     (tests/e2e/event_mix.h count_event) from the processed events;
//   - GetLearnerSummary of every learner of the run equals the summary computed the same way
//     (NOT_FOUND when none of its events was counted).
// So an acknowledged event is counted exactly once, and an unacknowledged one at most once.
//
// Ingest's ledger (accepted_events in its database) is checked too: ingest records an id only after
// Kafka acknowledged the event, so every ledger entry must be counted; and when Postgres stayed up,
// every acknowledged event must be in the ledger (`ledger_complete`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fault_run.h"

namespace edfleet::faults {

// Rows of processed_events (cheap; tests poll it to see analytics progress). Throws when the
// database cannot be reached.
std::int64_t processed_count(const std::string& analytics_database_url);

struct Verdict {
  std::vector<std::string> problems;          // empty = exactly once
  std::size_t sent = 0;
  std::size_t acknowledged = 0;
  std::size_t unacknowledged = 0;             // sent, never acknowledged
  std::size_t unacknowledged_counted = 0;     // of those, counted (Kafka had them): at most once each
  std::size_t counted = 0;                    // rows in processed_events
  std::size_t ledger = 0;                     // rows in ingest's accepted_events
  std::size_t learners_checked = 0;
  std::size_t cells_checked = 0;              // (tenant, day, type) counts compared
  std::string summary() const;
};

struct VerifyTarget {
  std::string analytics_database_url;
  int analytics_grpc_port = 0;
  std::string ingest_database_url;
  bool ledger_complete = true;   // false when Postgres went away mid-run (ingest then answers
                                 // "accepted" for events Kafka has but it could not record)
};

// Compares analytics (its database and its gRPC API) and ingest's ledger with the runs' events.
Verdict verify_exactly_once(const std::vector<const PublishRun*>& runs, const VerifyTarget& target);

}  // namespace edfleet::faults
