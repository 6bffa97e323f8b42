// Where a worker's batches go: ingest over gRPC or HTTP. One instance per worker thread (instances
// need not be thread-safe).
#pragma once

#include <string_view>

#include <string>
#include <vector>

#include "domain/run_stats.h"
#include "edfleet/events/v1/event.pb.h"

namespace edfleet::sim {

// The principal the simulator signs its calls as (an internal service, see libs/identity).
inline constexpr std::string_view kSimPrincipal = "service:edfleet-sim";

class EventSender {
 public:
  virtual ~EventSender() = default;
  // Sends one batch and returns ingest's answer per event, in order. `tenant` non-empty = call as
  // that tenant (x-edfleet-tenant); every event of the batch then belongs to it. A call that fails
  // as a whole (unreachable, timed out, bad status) comes back as SendResult{ok = false}, not as an
  // exception.
  virtual SendResult send(const std::vector<events::v1::Event>& events, const std::string& tenant) = 0;
};

// Events for one stream (lane) of a run, in the order they are sent.
class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual events::v1::Event next() = 0;
};

}  // namespace edfleet::sim
