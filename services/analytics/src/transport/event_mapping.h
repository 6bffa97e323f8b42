// From the wire: an edfleet.events.v1.Event record to the EventFact the counters use.
#pragma once

#include <string_view>

#include "domain/event_fact.h"
#include "edfleet/core/result.h"
#include "edfleet/events/v1/event.pb.h"

namespace edfleet::analytics {

// The facts of a parsed event: tenant, lowercased id, type, occurred_at (received_at when the source
// sent none), subject.learner_id, the quiz percentage (score / max_score * 100, when max_score > 0
// and both are finite) and the tutoring outcome. Validated with validate_fact(); an error means the
// event can never be counted. A type whose payload is missing is still counted by type.
core::Result<EventFact> to_event_fact(const events::v1::Event& event);

// Parses a Kafka record value (a serialized Event) and maps it; an error for bytes that are not an
// Event.
core::Result<EventFact> parse_event_fact(std::string_view value);

}  // namespace edfleet::analytics
