// librdkafka glue shared by the producer, the consumer loop and the embedded broker. Internal.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "edfleet/kafka/message.h"

namespace edfleet::kafka::detail {

// Sets a configuration property; throws std::runtime_error naming `what` (e.g. "kafka producer") and
// librdkafka's explanation when the property or value is invalid, so bad config fails at start-up.
void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                  std::string_view what);

// librdkafka properties in the order they are applied (a later one overrides an earlier one).
using Properties = std::vector<std::pair<std::string, std::string>>;

// Creates a client of `type`: applies `properties`, then `customize` (callbacks, opaque), then
// rd_kafka_new. Throws std::runtime_error starting with `what` (e.g. "kafka producer") for an
// invalid property (bad config fails at start-up) or a client librdkafka cannot create.
rd_kafka_t* new_client(rd_kafka_type_t type, const Properties& properties, const std::string& what,
                       const std::function<void(rd_kafka_conf_t*)>& customize = {});

// Writes one librdkafka log line through core::log (syslog level 0-3 error, 4 warn, 5-6 info, 7 debug).
void log_line(const rd_kafka_t* rk, int level, const char* facility, const char* text);
// A log_cb for rd_kafka_conf_set_log_cb that only calls log_line.
void log_callback(const rd_kafka_t* rk, int level, const char* facility, const char* text);

// A stable, Prometheus-friendly name for an error code: "_TRANSPORT" -> "transport".
std::string error_kind(rd_kafka_resp_err_t err);

// Copies headers into a new librdkafka header list (caller owns it until produce succeeds).
rd_kafka_headers_t* to_rd_headers(const Headers& headers);
// Copies the headers of a consumed message.
Headers headers_of(const rd_kafka_message_t* message);
// Copies a consumed (error-free) message out of librdkafka's buffers.
ConsumedMessage to_consumed(const rd_kafka_message_t* message);

// The partition ids of `topic` from the cluster's metadata; empty when the topic does not exist or
// the metadata request fails within `timeout_ms`.
std::vector<int32_t> partitions_of(rd_kafka_t* rk, const std::string& topic, int timeout_ms);

// Owns a topic-partition list.
struct PartitionList {
  explicit PartitionList(int capacity) : list(rd_kafka_topic_partition_list_new(capacity)) {}
  explicit PartitionList(rd_kafka_topic_partition_list_t* owned) : list(owned) {}
  ~PartitionList() {
    if (list != nullptr) rd_kafka_topic_partition_list_destroy(list);
  }
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  rd_kafka_topic_partition_list_t* list;
};

}  // namespace edfleet::kafka::detail
