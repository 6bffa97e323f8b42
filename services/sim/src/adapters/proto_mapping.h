// SimEvent -> edfleet.events.v1.Event: the simulator's domain events in the contract's form, for the
// senders and the JSONL writer.
#pragma once

#include "domain/sim_event.h"
#include "edfleet/events/v1/event.pb.h"

namespace edfleet::sim {

events::v1::Event to_proto(const SimEvent& event);

}  // namespace edfleet::sim
