// Conversion between the protobuf Event (edfleet.events.v1.Event) and the domain's EventEnvelope.
//
// to_domain() flattens the payload oneof with protobuf reflection into (path, typed value) pairs, so
// the domain's schema table can check any payload without knowing protobuf; it also keeps the
// payload's wire bytes (unknown fields dropped) so to_proto() can rebuild exactly the event that was
// validated, with the fields ingest stamps (tenant, received_at, trace_id) taken from the domain.
#pragma once

#include "domain/event.h"
#include "edfleet/events/v1/event.pb.h"

namespace edfleet::ingest {

EventEnvelope to_domain(const events::v1::Event& event);

// Throws std::runtime_error when the payload bytes do not parse (they always do for envelopes made
// by to_domain()).
events::v1::Event to_proto(const EventEnvelope& event);

}  // namespace edfleet::ingest
