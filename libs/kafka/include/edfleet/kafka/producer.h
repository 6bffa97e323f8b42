// An idempotent Kafka producer (enable.idempotence=true, acks=all) with its own poll thread, so that
// delivery callbacks run without the caller polling.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edfleet/kafka/message.h"

namespace prometheus {
class Registry;
}

namespace edfleet::kafka {

struct ProducerConfig {
  std::string bootstrap_servers;
  std::string client_id = "edfleet";
  std::chrono::milliseconds linger{2};
  std::chrono::milliseconds delivery_timeout{30000};
  std::map<std::string, std::string> extra;  // raw librdkafka properties, applied last
  prometheus::Registry* registry = nullptr;  // edfleet_kafka_produced_total{topic,result}, ...
};

// Produces records to Kafka. Thread-safe: any number of threads may call produce() at once.
// Delivery callbacks run on the producer's poll thread, inside flush() on its caller's thread, or,
// for records rejected up front, on the calling thread before produce() returns; they must be quick
// and must not produce or flush themselves. When librdkafka's local queue is full, produce() waits
// for the poll thread to make room (up to delivery_timeout) instead of failing.
class Producer {
 public:
  explicit Producer(const ProducerConfig& config);  // throws std::runtime_error on bad config
  ~Producer();                                      // flushes (up to 10 s); the rest fail as purged
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues one record; `on_delivery` is called exactly once with its outcome.
  void produce(OutgoingMessage message, std::function<void(const DeliveryReport&)> on_delivery);

  // Blocks until every message is acknowledged or failed, or `timeout` passes (the rest fail with
  // error "timed out"); reports in input order.
  std::vector<DeliveryReport> produce_and_wait(std::vector<OutgoingMessage> messages,
                                               std::chrono::milliseconds timeout);

  // Waits until every queued record has its delivery report; false if `timeout` passed first.
  bool flush(std::chrono::milliseconds timeout);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edfleet::kafka
