// librdkafka glue shared by the producer, the consumer loop and the embedded broker. Internal.
#pragma once

#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "edfleet/kafka/message.h"

namespace edfleet::kafka::detail {

// Sets a configuration property; throws std::runtime_error naming `what` (e.g. "kafka producer") and
// librdkafka's explanation when the property or value is invalid, so bad config fails at start-up.
void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                  std::string_view what);

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
