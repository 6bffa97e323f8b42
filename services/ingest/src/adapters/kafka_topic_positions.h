// A topic's partition ends (high watermarks) and a consumer group's committed offsets, read through
// librdkafka without joining the group: what the consistency watcher compares the materialiser's
// stored offsets with.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct rd_kafka_s;

namespace edfleet::ingest {

// One librdkafka consumer handle configured with the group id but never subscribed (it neither joins
// the group nor consumes). Not thread-safe: one caller (the watcher's thread).
class KafkaTopicPositions {
 public:
  // Throws std::runtime_error on bad configuration.
  KafkaTopicPositions(const std::string& bootstrap_servers, const std::string& group_id, std::string topic,
                      std::chrono::milliseconds timeout);
  ~KafkaTopicPositions();
  KafkaTopicPositions(const KafkaTopicPositions&) = delete;
  KafkaTopicPositions& operator=(const KafkaTopicPositions&) = delete;

  const std::string& topic() const { return topic_; }
  struct Range {
    std::int64_t low = 0;   // the first record still there
    std::int64_t high = 0;  // the offset the next record will get
  };
  // partition -> its range now. Throws std::runtime_error when the cluster does not answer within the
  // timeout.
  std::map<std::int32_t, Range> ends();
  // partition -> the group's committed offset, for the partitions that have one. Throws like ends().
  std::map<std::int32_t, std::int64_t> committed(const std::vector<std::int32_t>& partitions);

 private:
  rd_kafka_s* rk_ = nullptr;
  std::string topic_;
  int timeout_ms_;
};

}  // namespace edfleet::ingest
