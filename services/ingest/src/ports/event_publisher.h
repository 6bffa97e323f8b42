// Port: puts accepted events on the event stream (Kafka topic edfleet.events.v1 in production).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "domain/event.h"

namespace edfleet::ingest {

struct PublishAck {
  bool ok = false;      // the stream durably acknowledged the event
  std::string error;    // why not, when !ok
};

// Publishes validated, stamped events and waits until the stream acknowledges each one (or a timeout
// passes). Returns one PublishAck per event, in order. An event that is not acknowledged may still
// arrive later (at-least-once); it is reported as not accepted so the producer retries, and consumers
// de-duplicate by event id. May throw when the whole call fails; then no event counts as acknowledged.
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  virtual std::vector<PublishAck> publish(std::span<const EventEnvelope> events) = 0;
};

}  // namespace edfleet::ingest
