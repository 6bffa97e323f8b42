// CountAggregator: folds a batch of events into the increments of the stored counters.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>

#include "domain/event_fact.h"

namespace edfleet::analytics {

// Row key of the per-day counts: events of `type` in `tenant` that occurred on UTC day `day`.
struct DayTypeKey {
  std::string tenant;
  std::string day;  // "YYYY-MM-DD", UTC
  std::string type;
  auto operator<=>(const DayTypeKey&) const = default;
};

struct LearnerKey {
  std::string tenant;
  std::string learner_id;
  auto operator<=>(const LearnerKey&) const = default;
};

// One learner's counters: either the increment one batch contributes, or the stored totals (the
// same shape, so that adding a delta to totals is just merge()).
struct LearnerCounters {
  std::int64_t total_events = 0;
  std::map<std::string, std::int64_t> events_by_type;
  core::Timestamp first_seen{};             // earliest occurred_at seen
  core::Timestamp last_seen{};              // latest occurred_at seen
  std::int64_t quiz_submissions = 0;        // quiz.submitted events
  std::int64_t quiz_scored = 0;             // ... of which had a score percentage
  double quiz_percent_sum = 0;              // sum of those percentages (average = sum / scored)
  std::int64_t tutoring_sessions_completed = 0;  // ops.session_completed with outcome "completed"
  std::int64_t ib_calls = 0;                // ops.ib_call_logged

  void add(const EventFact& fact);
  void merge(const LearnerCounters& other);
  bool operator==(const LearnerCounters&) const = default;
};

// The increments one batch of (new) events makes: ordered maps, so that every writer touches rows
// in the same order (fewer lock waits and no deadlocks between concurrent writers).
struct CountDeltas {
  std::map<DayTypeKey, std::int64_t> event_counts;
  std::map<LearnerKey, LearnerCounters> learners;
  std::size_t events = 0;  // events folded in

  bool empty() const { return events == 0; }
};

// Folds events into CountDeltas. Each (tenant, event id) is counted once: a second event with the
// same key in the same aggregation is ignored (a duplicate delivered twice in one batch). Whether an
// event was counted by an EARLIER batch is not its business: the caller passes only new events
// (see ApplyEvents).
class CountAggregator {
 public:
  // Returns false (and changes nothing) when an event with the same key was already added.
  bool add(const EventFact& fact);

  const CountDeltas& deltas() const { return deltas_; }
  CountDeltas take() { return std::move(deltas_); }
  std::size_t duplicates() const { return duplicates_; }

  static CountDeltas fold(std::span<const EventFact> facts);

 private:
  CountDeltas deltas_;
  std::set<EventKey> seen_;
  std::size_t duplicates_ = 0;
};

}  // namespace edfleet::analytics
