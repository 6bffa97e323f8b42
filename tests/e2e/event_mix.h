// A deterministic mix of events for the end-to-end test, with what ingest must answer for each one
// and what analytics must count, computed here independently of the services.
//
// The mix spreads valid events over several tenants, days, learners and every family of event types,
// and adds, at fixed rates: invalid events (each broken in exactly one way, with the reason and
// field ingest must report), exact repeats of accepted events (duplicates: accepted again, counted
// once) within a batch and across batches, and repeated ids with different content (ID_REUSED).
// Odd batches are sent as an authenticated tenant (x-edfleet-tenant metadata, events mostly without
// their own tenant), even batches as an internal caller (every event names its tenant).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "edfleet/core/clock.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/ingest/v1/ingest.pb.h"

namespace edfleet::e2e {

struct ExpectedResult {
  bool accepted = false;
  bool duplicate = false;
  ingest::v1::RejectReason reason = ingest::v1::REJECT_REASON_UNSPECIFIED;
  std::optional<std::string> field;   // checked when set
  std::string what;                   // which case this is, for failure messages
};

struct Batch {
  std::string caller_tenant;          // empty = internal caller (no metadata)
  std::vector<events::v1::Event> events;
  std::vector<ExpectedResult> expected;
};

struct LearnerExpectation {
  std::uint64_t total_events = 0;
  std::map<std::string, std::uint64_t> events_by_type;
  std::int64_t first_seen = 0;        // unix seconds
  std::int64_t last_seen = 0;
  std::uint64_t quiz_submissions = 0;
  double quiz_percent_sum = 0;
  std::uint64_t tutoring_sessions_completed = 0;
  std::uint64_t ib_calls = 0;
  double quiz_average_percent() const {
    return quiz_submissions == 0 ? 0 : quiz_percent_sum / static_cast<double>(quiz_submissions);
  }
};

using DayType = std::pair<std::string, std::string>;   // ("2025-06-03", "quiz.submitted")

struct Expectations {
  std::map<std::string, std::map<DayType, std::uint64_t>> counts;             // by tenant
  std::map<std::pair<std::string, std::string>, LearnerExpectation> learners;  // (tenant, learner)
  std::size_t accepted_new = 0;
  std::size_t duplicates = 0;
  std::size_t rejected = 0;
  std::map<ingest::v1::RejectReason, std::size_t> rejected_by_reason;
};

struct EventMix {
  std::vector<std::string> tenants;
  std::string first_day;
  std::string last_day;
  std::vector<Batch> batches;
  Expectations expected;
};

// `now` bounds occurred_at (ingest rejects events more than a day in the future).
EventMix make_event_mix(std::size_t total_events, std::size_t batch_size, core::Timestamp now, std::uint64_t seed);

// Folds one accepted, first-seen event (tenant filled in) into the expectations: what analytics
// documents it counts (services/analytics/README.md).
void count_event(Expectations& expectations, const events::v1::Event& event);

// A UUID (version 4 layout) from 128 random bits.
std::string format_uuid(std::uint64_t high, std::uint64_t low);

}  // namespace edfleet::e2e
