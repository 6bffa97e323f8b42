// Plain value types for Kafka records, so that callers never touch librdkafka types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edfleet::kafka {

// Record headers in wire order. Kafka allows repeated names; readers take the last one.
using Headers = std::vector<std::pair<std::string, std::string>>;

// A record to produce. The key decides the partition (librdkafka's default murmur2-compatible
// partitioner), so records with one key stay in order.
struct OutgoingMessage {
  std::string topic;
  std::string key;
  std::string value;
  Headers headers;
};

// The outcome of one produced record: where it landed, or why it did not.
struct DeliveryReport {
  bool ok = false;
  std::string error;
  int32_t partition = -1;
  int64_t offset = -1;
};

// A record handed to a BatchHandler, copied out of librdkafka's buffers.
struct ConsumedMessage {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
  Headers headers;
  int64_t timestamp_ms = -1;  // record timestamp (create or log-append time), -1 when absent

  // The value of the last header called `name`, or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

}  // namespace edfleet::kafka
