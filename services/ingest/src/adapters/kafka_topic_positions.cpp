#include "adapters/kafka_topic_positions.h"

#include <librdkafka/rdkafka.h>

#include <stdexcept>
#include <utility>

namespace edfleet::ingest {

KafkaTopicPositions::KafkaTopicPositions(const std::string& bootstrap_servers, const std::string& group_id,
                                         std::string topic, std::chrono::milliseconds timeout)
    : topic_(std::move(topic)), timeout_ms_(static_cast<int>(timeout.count())) {
  // A plain consumer handle: it never subscribes, so it neither joins the group nor fetches.
  const std::pair<const char*, std::string> properties[] = {{"bootstrap.servers", bootstrap_servers},
                                                            {"group.id", group_id},
                                                            {"client.id", "edfleet-ingest-xapi-positions"},
                                                            {"enable.auto.commit", "false"},
                                                            {"log_level", "3"}};  // errors only
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("kafka topic positions, ") + key + ": " + error);
    }
  }
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka topic positions: ") + error);
  }
}

KafkaTopicPositions::~KafkaTopicPositions() {
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

std::map<std::int32_t, KafkaTopicPositions::Range> KafkaTopicPositions::ends() {
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk_, topic_.c_str(), nullptr);
  const auto err = rd_kafka_metadata(rk_, 0, handle, &metadata, timeout_ms_);
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("metadata of " + topic_ + ": " + rd_kafka_err2str(err));
  }
  std::map<std::int32_t, Range> out;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const auto& topic = metadata->topics[t];
    if (topic_ != topic.topic) continue;
    topic_err = topic.err;
    for (int p = 0; p < topic.partition_cnt; ++p) out.emplace(topic.partitions[p].id, Range{});
  }
  rd_kafka_metadata_destroy(metadata);
  if (out.empty()) {
    throw std::runtime_error("no partitions of " + topic_ + " known" +
                             (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR ? ": " + std::string(rd_kafka_err2str(topic_err)) : ""));
  }
  for (auto& [partition, range] : out) {
    const auto e =
        rd_kafka_query_watermark_offsets(rk_, topic_.c_str(), partition, &range.low, &range.high, timeout_ms_);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("end of " + topic_ + "[" + std::to_string(partition) + "]: " + rd_kafka_err2str(e));
    }
  }
  return out;
}

std::map<std::int32_t, std::int64_t> KafkaTopicPositions::committed(
    const std::vector<std::int32_t>& partitions) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (const auto partition : partitions) rd_kafka_topic_partition_list_add(list, topic_.c_str(), partition);
  const auto err = rd_kafka_committed(rk_, list, timeout_ms_);
  std::map<std::int32_t, std::int64_t> out;
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR && list->elems[i].offset >= 0) {
        out.emplace(list->elems[i].partition, list->elems[i].offset);
      }
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("committed offsets of " + topic_ + ": " + rd_kafka_err2str(err));
  }
  return out;
}

}  // namespace edfleet::ingest
