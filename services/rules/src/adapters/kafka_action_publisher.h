// KafkaActionPublisher: actions as edfleet.rules.v1.Action records on edfleet.actions.v1, keyed
// "<tenant>/<key or rule id>", with CloudEvents headers (ce_id = the action id).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "edfleet/kafka/producer.h"
#include "ports/action_publisher.h"
#include "ports/repartition_publisher.h"

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

// Header names of a repartition record (edfleet.rules.repartition.v1): the record value is the
// original edfleet.events.v1.Event, these carry its rule scope and where it was read.
inline constexpr std::string_view kGroupHeader = "x-edfleet-rules-group";
inline constexpr std::string_view kSourcePartitionHeader = "x-edfleet-source-partition";
inline constexpr std::string_view kSourceOffsetHeader = "x-edfleet-source-offset";

// KafkaRepartitionPublisher: forwarded events on edfleet.rules.repartition.v1, keyed
// "<tenant>/<group value>", the original event bytes as the value and the scope in headers.
class KafkaRepartitionPublisher final : public RepartitionPublisher {
 public:
  KafkaRepartitionPublisher(kafka::Producer& producer, std::string topic, std::chrono::milliseconds timeout)
      : producer_(producer), topic_(std::move(topic)), timeout_(timeout) {}
  void publish(const std::vector<RepartitionRecord>& records) override;

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
