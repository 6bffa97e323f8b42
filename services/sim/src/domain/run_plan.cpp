#include "domain/run_plan.h"

#include <algorithm>
#include <cmath>

#include "domain/catalogue.h"
#include "domain/pacing.h"

namespace edfleet::sim {

namespace {

struct Span {
  core::Timestamp first;
  core::Timestamp last;
};

// Generates every stream's events once, as if the timeline started at `start`.
Span dry_run(const std::vector<StreamPlan>& streams, core::Timestamp start) {
  Span span{core::Timestamp::max(), start};
  for (const auto& stream : streams) {
    if (stream.events == 0) continue;
    StreamSpec spec = stream.spec;
    spec.start = start;
    StreamGenerator generator(std::move(spec));
    core::Timestamp end = generator.next().occurred_at;
    span.first = std::min(span.first, end);
    for (std::uint64_t k = 1; k < stream.events; ++k) end = generator.next().occurred_at;
    span.last = std::max(span.last, end);
  }
  if (span.first == core::Timestamp::max()) span.first = start;
  return span;
}

}  // namespace

core::Result<RunPlan> plan_run(const PlanInput& input, core::Timestamp now) {
  if (input.streams < 1) return core::Error::invalid("streams must be at least 1", "streams");
  if (input.tenants < 1) return core::Error::invalid("tenants must be at least 1", "tenants");
  if (!(input.rate > 0)) return core::Error::invalid("rate must be above 0", "rate");
  if (!(input.time_scale > 0)) return core::Error::invalid("time scale must be above 0", "time_scale");

  RunPlan plan;
  plan.cohort = size_cohort(input.rate * 86400.0 / input.time_scale);
  const std::vector<std::uint64_t> counts =
      input.count ? split_count(*input.count, input.streams)
                  : std::vector<std::uint64_t>(static_cast<std::size_t>(input.streams), events_in(input.rate, input.duration));
  for (int s = 0; s < input.streams; ++s) {
    StreamPlan stream;
    stream.spec.seed = input.seed;
    stream.spec.stream = s;
    stream.spec.tenant = tenant_slug(static_cast<std::size_t>(s % input.tenants));
    stream.spec.cohort = plan.cohort;
    stream.events = counts[static_cast<std::size_t>(s)];
    plan.total_events += stream.events;
    plan.streams.push_back(std::move(stream));
  }

  const TimelineLimits limits;
  core::Timestamp start;
  Span span;
  if (input.start_time) {
    start = *input.start_time;
    span = dry_run(plan.streams, start);
    if (auto ok = check_explicit_timeline(span.last, now, limits); !ok.ok()) return ok.error();
  } else {
    // Start where the busiest stream's events should end about now, then move back by whole days
    // (same hours of the day, a fresh draw of the week) while it ends too late; as a last resort by
    // whole weeks, which shifts the very same events.
    const std::uint64_t most = *std::max_element(counts.begin(), counts.end());
    const double days = static_cast<double>(most) / expected_events_per_day(plan.cohort);
    start = now - std::chrono::microseconds(std::llround(days * 86400e6));
    span = dry_run(plan.streams, start);
    for (int attempt = 0; attempt < 3 && span.last > now + limits.allowed_future; ++attempt) {
      start -= shift_back(span.last, now, kDay);
      span = dry_run(plan.streams, start);
    }
    if (span.last > now + limits.allowed_future) {
      const auto weeks = shift_back(span.last, now, kWeek);
      start -= weeks;
      span.first -= weeks;
      span.last -= weeks;
    }
  }
  for (auto& stream : plan.streams) stream.spec.start = start;
  plan.first_event = span.first;
  plan.last_event = span.last;
  return plan;
}

}  // namespace edfleet::sim
