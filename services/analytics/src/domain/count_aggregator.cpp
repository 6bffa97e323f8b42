#include "domain/count_aggregator.h"

#include <algorithm>

#include "edfleet/core/time_format.h"

namespace edfleet::analytics {

void LearnerCounters::add(const EventFact& fact) {
  LearnerCounters one;
  one.total_events = 1;
  one.events_by_type[fact.type] = 1;
  one.first_seen = fact.occurred_at;
  one.last_seen = fact.occurred_at;
  if (fact.type == kQuizSubmittedType) {
    one.quiz_submissions = 1;
    if (fact.quiz_percent) {
      one.quiz_scored = 1;
      one.quiz_percent_sum = *fact.quiz_percent;
    }
  }
  if (fact.type == kTutoringCompletedType && fact.tutoring_outcome == kCompletedOutcome) {
    one.tutoring_sessions_completed = 1;
  }
  if (fact.type == kIbCallLoggedType) one.ib_calls = 1;
  merge(one);
}

void LearnerCounters::merge(const LearnerCounters& other) {
  if (other.total_events == 0) return;
  if (total_events == 0) {
    first_seen = other.first_seen;
    last_seen = other.last_seen;
  } else {
    first_seen = std::min(first_seen, other.first_seen);
    last_seen = std::max(last_seen, other.last_seen);
  }
  total_events += other.total_events;
  for (const auto& [type, count] : other.events_by_type) events_by_type[type] += count;
  quiz_submissions += other.quiz_submissions;
  quiz_scored += other.quiz_scored;
  quiz_percent_sum += other.quiz_percent_sum;
  tutoring_sessions_completed += other.tutoring_sessions_completed;
  ib_calls += other.ib_calls;
}

bool CountAggregator::add(const EventFact& fact) {
  if (!seen_.insert(fact.key()).second) {
    ++duplicates_;
    return false;
  }
  ++deltas_.events;
  ++deltas_.event_counts[DayTypeKey{fact.tenant, core::format_day(fact.occurred_at), fact.type}];
  if (!fact.learner_id.empty()) {
    deltas_.learners[LearnerKey{fact.tenant, fact.learner_id}].add(fact);
  }
  return true;
}

CountDeltas CountAggregator::fold(std::span<const EventFact> facts) {
  CountAggregator aggregator;
  for (const auto& fact : facts) aggregator.add(fact);
  return aggregator.take();
}

}  // namespace edfleet::analytics
