// Wire <-> domain: edfleet.events.v1.Event to the engine's Event (payload flattened with protobuf
// reflection; the xAPI statement JSON flattened into statement.<path>), and the domain Action to
// edfleet.rules.v1.Action.
#pragma once

#include <optional>
#include <string_view>

#include "domain/action.h"
#include "domain/event.h"
#include "edfleet/core/result.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/rules/v1/rules.pb.h"

namespace edfleet::rules {

// Envelope fields + payload fields. Scalars keep proto field names; a class_session detail's fields
// appear at the top level (role, device, ...) next to `sequence`; timestamps become seconds since the
// epoch; repeated fields are left out. An xAPI statement's JSON leaves become statement.<a.b.c>
// (arrays: statement.<a>.<index>.<b>).
Event to_domain(const events::v1::Event& event);
// Parses a Kafka record value; an error when it is not an Event or has no time.
core::Result<Event> parse_event(std::string_view value);

v1::Action to_proto(const Action& action);

}  // namespace edfleet::rules
