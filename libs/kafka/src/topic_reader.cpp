#include "edfleet/kafka/topic_reader.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "rdkafka_util.h"

namespace edfleet::kafka {

std::vector<ConsumedMessage> read_topic(const std::string& bootstrap_servers, const std::string& topic,
                                        std::chrono::milliseconds timeout) {
  const std::string what = "kafka read_topic(" + topic + ")";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 1));
  };

  rd_kafka_t* rk = detail::new_client(RD_KAFKA_CONSUMER,
                                      {{"bootstrap.servers", bootstrap_servers},
                                       // librdkafka wants a group for assign(); it is never joined
                                       // (no subscribe) nor committed to.
                                       {"group.id", "edfleet-read-topic"},
                                       {"enable.auto.commit", "false"},
                                       {"enable.partition.eof", "false"}},
                                      what, [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, &detail::log_callback); });
  struct Close {
    rd_kafka_t* rk;
    ~Close() {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  } close{rk};
  rd_kafka_poll_set_consumer(rk);

  const auto partitions = detail::partitions_of(rk, topic, remaining_ms());
  if (partitions.empty()) throw std::runtime_error(what + ": no such topic, or no metadata in time");
  std::map<int32_t, int64_t> end;   // partitions with records -> their high watermark
  std::map<int32_t, int64_t> next;  // -> the next offset still to read
  detail::PartitionList assignment(static_cast<int>(partitions.size()));
  for (int32_t partition : partitions) {
    int64_t low = 0;
    int64_t high = 0;
    const auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high, remaining_ms());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error(what + ": cannot read the offsets of partition " + std::to_string(partition) + ": " +
                               rd_kafka_err2str(err));
    }
    if (high <= low) continue;
    rd_kafka_topic_partition_list_add(assignment.list, topic.c_str(), partition)->offset = low;
    end[partition] = high;
    next[partition] = low;
  }
  if (auto err = rd_kafka_assign(rk, assignment.list); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(what + ": assign failed: " + rd_kafka_err2str(err));
  }

  std::vector<ConsumedMessage> out;
  auto done = [&] {
    return std::all_of(end.begin(), end.end(), [&](const auto& e) { return next[e.first] >= e.second; });
  };
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, std::min(remaining_ms(), 100));
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->offset < end[message->partition]) {
      next[message->partition] = message->offset + 1;
      out.push_back(detail::to_consumed(message));
    }
    rd_kafka_message_destroy(message);
  }
  if (!done()) {
    throw std::runtime_error(what + ": read " + std::to_string(out.size()) + " records, not all within " +
                             std::to_string(timeout.count()) + " ms");
  }
  std::stable_sort(out.begin(), out.end(), [](const ConsumedMessage& a, const ConsumedMessage& b) {
    return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
  });
  return out;
}

}  // namespace edfleet::kafka
