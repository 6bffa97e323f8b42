// AnalyticsQueries: the read use cases (event counts per day and type, one learner's summary).
#pragma once

#include "edfleet/core/tenant.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"
#include "ports/event_count_store.h"

namespace edfleet::analytics {

// The default and the largest day range of an event-count query.
inline constexpr int kDefaultRangeDays = 30;  // from_day empty = 30 days before to_day
inline constexpr int kMaxRangeDays = 366;     // days in the range, both ends included
inline constexpr std::size_t kMaxTypeFilters = 100;
inline constexpr std::size_t kMaxIdLength = 256;

using core::is_tenant_slug;  // edfleet/core/tenant.h

struct EventCountsQuery {
  std::string from_day;             // "YYYY-MM-DD" UTC; empty = kDefaultRangeDays before to_day
  std::string to_day;               // "YYYY-MM-DD" UTC; empty = today (UTC)
  std::vector<std::string> types;   // empty = all types
};

struct EventCounts {
  std::string from_day;  // the range actually queried (defaults filled in)
  std::string to_day;
  std::vector<EventCountRow> counts;  // ordered by day, then type; days without events are absent
  std::uint64_t total = 0;
};

struct LearnerSummary {
  std::string learner_id;
  std::uint64_t total_events = 0;
  std::map<std::string, std::uint64_t> events_by_type;
  core::Timestamp first_seen{};
  core::Timestamp last_seen{};
  std::uint64_t quiz_submissions = 0;
  double quiz_average_percent = 0;  // mean of the scored submissions' percentages; 0 when none
  std::uint64_t tutoring_sessions_completed = 0;
  std::uint64_t ib_calls = 0;
};

// Validates and resolves an event-count query against `today`: fills the defaults, checks the day
// format, from <= to and the range length. Errors are kInvalidArgument naming the field.
core::Result<EventCountsQuery> resolve_event_counts_query(const EventCountsQuery& query,
                                                          core::Timestamp now);

// The summary a learner's stored counters give (the average computed from sum and count).
LearnerSummary summarize(std::string learner_id, const LearnerCounters& counters);

// The read use cases. Always scoped to one tenant, which the caller established (the transport takes
// it from the authenticated call, never from the request). Store failures throw StoreUnavailable.
class AnalyticsQueries {
 public:
  AnalyticsQueries(EventCountStore& store, const core::Clock& clock) : store_(store), clock_(clock) {}

  core::Result<EventCounts> event_counts(std::string_view tenant, const EventCountsQuery& query);
  // kNotFound when the learner has no events in the tenant.
  core::Result<LearnerSummary> learner_summary(std::string_view tenant, std::string_view learner_id);

 private:
  EventCountStore& store_;
  const core::Clock& clock_;
};

}  // namespace edfleet::analytics
