#include "domain/queries.h"

#include <chrono>
#include <set>

#include "edfleet/core/time_format.h"

namespace edfleet::analytics {

namespace {

core::Error invalid_tenant() {
  return core::Error::invalid("tenant must match [a-z0-9][a-z0-9_-]{0,62}", "tenant");
}

}  // namespace

core::Result<EventCountsQuery> resolve_event_counts_query(const EventCountsQuery& query,
                                                          core::Timestamp now) {
  using std::chrono::days;
  EventCountsQuery resolved;

  core::Timestamp to{};
  if (query.to_day.empty()) {
    resolved.to_day = core::format_day(now);
    to = *core::parse_day(resolved.to_day);
  } else {
    auto parsed = core::parse_day(query.to_day);
    if (!parsed) return core::Error::invalid("to_day must be a day YYYY-MM-DD", "to_day");
    to = *parsed;
    resolved.to_day = core::format_day(to);
  }

  core::Timestamp from{};
  if (query.from_day.empty()) {
    from = to - days(kDefaultRangeDays);
    resolved.from_day = core::format_day(from);
  } else {
    auto parsed = core::parse_day(query.from_day);
    if (!parsed) return core::Error::invalid("from_day must be a day YYYY-MM-DD", "from_day");
    from = *parsed;
    resolved.from_day = core::format_day(from);
  }

  if (from > to) return core::Error::invalid("from_day must not be after to_day", "from_day");
  const auto span = std::chrono::duration_cast<days>(to - from).count() + 1;
  if (span > kMaxRangeDays) {
    return core::Error::invalid(
        "the range from_day..to_day must cover at most " + std::to_string(kMaxRangeDays) + " days",
        "from_day");
  }

  if (query.types.size() > kMaxTypeFilters) {
    return core::Error::invalid("at most " + std::to_string(kMaxTypeFilters) + " types", "types");
  }
  std::set<std::string> distinct;
  for (const auto& type : query.types) {
    if (type.empty() || type.size() > kMaxIdLength) {
      return core::Error::invalid("types must be non-empty event types", "types");
    }
    if (distinct.insert(type).second) resolved.types.push_back(type);
  }
  return resolved;
}

LearnerSummary summarize(std::string learner_id, const LearnerCounters& counters) {
  LearnerSummary summary;
  summary.learner_id = std::move(learner_id);
  summary.total_events = static_cast<std::uint64_t>(counters.total_events);
  for (const auto& [type, count] : counters.events_by_type) {
    summary.events_by_type[type] = static_cast<std::uint64_t>(count);
  }
  summary.first_seen = counters.first_seen;
  summary.last_seen = counters.last_seen;
  summary.quiz_submissions = static_cast<std::uint64_t>(counters.quiz_submissions);
  summary.quiz_average_percent =
      counters.quiz_scored > 0 ? counters.quiz_percent_sum / static_cast<double>(counters.quiz_scored) : 0.0;
  summary.tutoring_sessions_completed = static_cast<std::uint64_t>(counters.tutoring_sessions_completed);
  summary.ib_calls = static_cast<std::uint64_t>(counters.ib_calls);
  return summary;
}

core::Result<EventCounts> AnalyticsQueries::event_counts(std::string_view tenant,
                                                         const EventCountsQuery& query) {
  if (!is_tenant_slug(tenant)) return invalid_tenant();
  auto resolved = resolve_event_counts_query(query, clock_.now());
  if (!resolved) return resolved.error();

  EventCounts result;
  result.from_day = resolved->from_day;
  result.to_day = resolved->to_day;
  result.counts = store_.event_counts(tenant, resolved->from_day, resolved->to_day, resolved->types);
  for (const auto& row : result.counts) result.total += static_cast<std::uint64_t>(row.count);
  return result;
}

core::Result<LearnerSummary> AnalyticsQueries::learner_summary(std::string_view tenant,
                                                               std::string_view learner_id) {
  if (!is_tenant_slug(tenant)) return invalid_tenant();
  if (learner_id.empty()) return core::Error::invalid("learner_id is required", "learner_id");
  if (learner_id.size() > kMaxIdLength) {
    return core::Error::invalid("learner_id is longer than " + std::to_string(kMaxIdLength), "learner_id");
  }
  auto counters = store_.learner_counters(tenant, learner_id);
  if (!counters) {
    return core::Error::not_found("no events for learner '" + std::string(learner_id) + "'");
  }
  return summarize(std::string(learner_id), *counters);
}

}  // namespace edfleet::analytics
