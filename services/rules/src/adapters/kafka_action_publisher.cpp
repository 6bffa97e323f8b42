#include "adapters/kafka_action_publisher.h"

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "edfleet/core/ids.h"
#include "edfleet/kafka/cloud_events.h"
#include "transport/proto_mapping.h"

namespace edfleet::rules {

void KafkaActionPublisher::publish(const std::vector<Action>& actions) {
  if (actions.empty()) return;
  std::vector<kafka::OutgoingMessage> messages;
  messages.reserve(actions.size());
  for (const auto& a : actions) {
    kafka::OutgoingMessage m;
    m.topic = topic_;
    m.key = a.tenant + "/" + (a.key.empty() ? a.rule_id : a.key);
    m.value = to_proto(a).SerializeAsString();
    m.headers = kafka::cloud_event_headers(
        {a.id, "edfleet.rules.v1.Action", "edfleet-rules", a.rule_id + (a.key.empty() ? "" : "/" + a.key), a.fired_at});
    messages.push_back(std::move(m));
  }
  const auto reports = producer_.produce_and_wait(std::move(messages), timeout_);
  for (const auto& r : reports) {
    if (!r.ok) throw std::runtime_error("could not publish actions to " + topic_ + ": " + r.error);
  }
}

void KafkaRepartitionPublisher::publish(const std::vector<RepartitionRecord>& records) {
  if (records.empty()) return;
  std::vector<kafka::OutgoingMessage> messages;
  messages.reserve(records.size());
  for (const auto& r : records) {
    kafka::OutgoingMessage m;
    m.topic = topic_;
    m.key = r.key;
    m.value = r.event;
    m.headers = {{std::string(kGroupHeader), r.group},
                 {std::string(kSourcePartitionHeader), std::to_string(r.source_partition)},
                 {std::string(kSourceOffsetHeader), std::to_string(r.source_offset)}};
    messages.push_back(std::move(m));
  }
  const auto reports = producer_.produce_and_wait(std::move(messages), timeout_);
  for (const auto& r : reports) {
    if (!r.ok) throw std::runtime_error("could not forward events to " + topic_ + ": " + r.error);
  }
}

std::uint64_t KafkaTopicScanner::scan(const std::function<void(std::int32_t, std::string_view)>& record,
                                      std::chrono::milliseconds timeout) const {
  return scan([&](std::int32_t partition, std::string_view value, std::int64_t) { record(partition, value); }, timeout);
}

std::uint64_t KafkaTopicScanner::scan(const std::function<void(std::int32_t, std::string_view, std::int64_t)>& record,
                                      std::chrono::milliseconds timeout) const {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("backtest reader: ") + error);
    }
  };
  set("bootstrap.servers", bootstrap_servers_);
  set("group.id", "edfleet-rules-backtest-" + core::RandomIdGenerator::instance().uuid());
  set("enable.auto.commit", "false");
  set("enable.partition.eof", "true");
  set("fetch.wait.max.ms", "10");
  set("log_level", "3");
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error),
                                                                &rd_kafka_destroy);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("backtest reader: ") + error);
  }
  const int timeout_ms = static_cast<int>(timeout.count());
  const rd_kafka_metadata_t* metadata = nullptr;
  std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> handle(
      rd_kafka_topic_new(rk.get(), topic_.c_str(), nullptr), &rd_kafka_topic_destroy);
  if (rd_kafka_metadata(rk.get(), 0, handle.get(), &metadata, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      metadata->topic_cnt < 1) {
    if (metadata) rd_kafka_metadata_destroy(metadata);
    throw std::runtime_error("backtest reader: cannot read the metadata of " + topic_);
  }
  const int partitions = metadata->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(metadata);

  std::map<std::int32_t, std::int64_t> end;  // partition -> high watermark still to reach
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk.get(), topic_.c_str(), p, &low, &high, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_partition_list_destroy(list);
      throw std::runtime_error("backtest reader: cannot read the offsets of " + topic_);
    }
    if (high > low) {
      rd_kafka_topic_partition_list_add(list, topic_.c_str(), p)->offset = low;
      end[p] = high;
    }
  }
  rd_kafka_assign(rk.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  std::uint64_t count = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!end.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("backtest reader: " + topic_ + " could not be read completely in time");
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
    if (m == nullptr) continue;
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> guard(m, &rd_kafka_message_destroy);
    auto it = end.find(m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (it != end.end()) end.erase(it);
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    rd_kafka_timestamp_type_t type;
    record(m->partition, std::string_view(static_cast<const char*>(m->payload), m->len),
           rd_kafka_message_timestamp(m, &type));
    ++count;
    if (it != end.end() && m->offset + 1 >= it->second) end.erase(it);
  }
  rd_kafka_consumer_close(rk.get());
  return count;
}

}  // namespace edfleet::rules
