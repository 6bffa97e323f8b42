#include "adapters/kafka_event_publisher.h"

#include "adapters/proto_event_codec.h"
#include "edfleet/kafka/cloud_events.h"

namespace edfleet::ingest {

KafkaEventPublisher::KafkaEventPublisher(kafka::Producer& producer, std::chrono::milliseconds timeout,
                                         prometheus::Registry& registry, std::string topic)
    : producer_(producer),
      timeout_(timeout),
      topic_(std::move(topic)),
      latency_(prometheus::BuildHistogram()
                   .Name("edfleet_ingest_publish_seconds")
                   .Help("Time from handing a batch's new events to Kafka until every one is acknowledged "
                         "(or the timeout)")
                   .Register(registry)
                   .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                    0.25, 0.5, 1, 2.5, 5, 10, 30})) {}

std::vector<PublishAck> KafkaEventPublisher::publish(std::span<const EventEnvelope> events) {
  std::vector<kafka::OutgoingMessage> messages;
  messages.reserve(events.size());
  for (const EventEnvelope& event : events) {
    kafka::OutgoingMessage message;
    message.topic = topic_;
    message.key = partition_key(event);
    message.value = to_proto(event).SerializeAsString();
    message.headers = kafka::cloud_event_headers({event.id, event.type, event.source, std::string(key_subject(event)),
                                                  to_timestamp(*event.occurred_at)});
    messages.push_back(std::move(message));
  }

  const auto started = std::chrono::steady_clock::now();
  const std::vector<kafka::DeliveryReport> reports = producer_.produce_and_wait(std::move(messages), timeout_);
  latency_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  std::vector<PublishAck> acks;
  acks.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i < reports.size()) {
      acks.push_back({reports[i].ok, reports[i].error});
    } else {
      acks.push_back({false, "no delivery report"});
    }
  }
  return acks;
}

}  // namespace edfleet::ingest
