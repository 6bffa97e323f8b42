// KafkaEventPublisher: the EventPublisher on Kafka. Each event becomes one record on
// edfleet.events.v1: value = the serialized edfleet.events.v1.Event, key = "<tenant>/<subject>",
// CloudEvents binary-mode headers (ce_id, ce_type, ce_source, ce_time = occurred_at, ce_subject =
// the key's subject id). The batch is produced at once and waited for up to `timeout`; records not
// acknowledged by then are reported as failed.
#pragma once

#include <chrono>
#include <string>

#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "edfleet/kafka/producer.h"
#include "ports/event_publisher.h"

namespace edfleet::ingest {

class KafkaEventPublisher final : public EventPublisher {
 public:
  KafkaEventPublisher(kafka::Producer& producer, std::chrono::milliseconds timeout, prometheus::Registry& registry,
                      std::string topic = "edfleet.events.v1");

  std::vector<PublishAck> publish(std::span<const EventEnvelope> events) override;

 private:
  kafka::Producer& producer_;
  std::chrono::milliseconds timeout_;
  std::string topic_;
  prometheus::Histogram& latency_;
};

}  // namespace edfleet::ingest
