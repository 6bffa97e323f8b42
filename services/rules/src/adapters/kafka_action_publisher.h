// KafkaActionPublisher: actions as edfleet.rules.v1.Action records on edfleet.actions.v1, keyed
// "<tenant>/<key or rule id>", with CloudEvents headers (ce_id = the action id).
#pragma once

#include <chrono>
#include <string>

#include "edfleet/kafka/producer.h"
#include "ports/action_publisher.h"

namespace edfleet::rules {

class KafkaActionPublisher final : public ActionPublisher {
 public:
  KafkaActionPublisher(kafka::Producer& producer, std::string topic, std::chrono::milliseconds timeout)
      : producer_(producer), topic_(std::move(topic)), timeout_(timeout) {}
  void publish(const std::vector<Action>& actions) override;

 private:
  kafka::Producer& producer_;
  std::string topic_;
  std::chrono::milliseconds timeout_;
};

// Reads a whole topic once, from the earliest retained record to the end as it was when the scan
// started, with a throw-away consumer (no group offsets committed). For Backtest.
class KafkaTopicScanner {
 public:
  KafkaTopicScanner(std::string bootstrap_servers, std::string topic)
      : bootstrap_servers_(std::move(bootstrap_servers)), topic_(std::move(topic)) {}
  // Calls `record(partition, value)` for each record, partition by partition in offset order
  // interleaved as they arrive. Returns the number of records; throws std::runtime_error when Kafka
  // cannot be read within `timeout`.
  std::uint64_t scan(const std::function<void(std::int32_t, std::string_view)>& record,
                     std::chrono::milliseconds timeout) const;
  // The same, with each record's Kafka timestamp (ms since the epoch, -1 when absent).
  std::uint64_t scan(const std::function<void(std::int32_t, std::string_view, std::int64_t)>& record,
                     std::chrono::milliseconds timeout) const;

 private:
  std::string bootstrap_servers_;
  std::string topic_;
};

}  // namespace edfleet::rules
