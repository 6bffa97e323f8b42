// Events as JSON Lines (one proto3-JSON Event per line), for recording a run and replaying it later.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "edfleet/core/result.h"
#include "edfleet/events/v1/event.pb.h"

namespace edfleet::sim {

// One event as compact JSON (lowerCamelCase field names, as `edfleet publish` and ingest read it).
std::string to_json(const events::v1::Event& event);

// Reads a recorded file (JSON Lines, or anything `edfleet publish` reads); "-" = stdin. An event that
// does not map to edfleet.events.v1.Event is an error naming its line.
core::Result<std::vector<events::v1::Event>> read_events_file(const std::string& path);

}  // namespace edfleet::sim
