// EventFact: what analytics needs to know about one event, independent of its wire format.
#pragma once

#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"

namespace edfleet::analytics {

// Event types with counters of their own (besides the per-type counts every type gets).
inline constexpr std::string_view kQuizSubmittedType = "quiz.submitted";
inline constexpr std::string_view kTutoringCompletedType = "ops.session_completed";
inline constexpr std::string_view kIbCallLoggedType = "ops.ib_call_logged";
// The tutoring outcome that counts as a completed session.
inline constexpr std::string_view kCompletedOutcome = "completed";

// The identity of an event: event ids are unique per tenant, and the exactly-once bookkeeping
// (processed_events) is keyed on this pair.
struct EventKey {
  std::string tenant;
  std::string event_id;  // lowercase canonical UUID
  auto operator<=>(const EventKey&) const = default;
};

// The facts of one event that the counters are computed from. The transport maps the wire event
// (edfleet.events.v1.Event) to this; everything else in the event is irrelevant to the counts.
struct EventFact {
  std::string tenant;
  std::string event_id;               // lowercase canonical UUID
  std::string type;                   // e.g. "quiz.submitted"
  core::Timestamp occurred_at{};      // its UTC day is the day the event is counted on
  std::string learner_id;             // empty: the event is not about a learner
  std::optional<double> quiz_percent; // quiz.submitted: score / max_score * 100 (when max_score > 0)
  std::string tutoring_outcome;       // ops.session_completed: completed | no_show_learner | ...

  EventKey key() const { return {tenant, event_id}; }
};

// Limits of what the counters accept (ingest enforces stricter rules; these keep the store sane).
inline constexpr std::size_t kMaxTypeLength = 128;
inline constexpr std::size_t kMaxLearnerIdLength = 256;

// Checks that a fact can be stored: tenant slug, canonical UUID, a dotted lowercase type, a learner
// id that is valid UTF-8 without NUL, an occurred_at within 1900..9999 and a finite quiz percentage.
// An event that fails can never be counted (the consumer sends it to the DLQ).
core::Result<void> validate_fact(const EventFact& fact);

// True for valid UTF-8 without NUL bytes (Postgres text cannot hold NUL).
bool is_storable_text(std::string_view text);

}  // namespace edfleet::analytics
