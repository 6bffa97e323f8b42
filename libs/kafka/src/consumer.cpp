#include "edfleet/kafka/consumer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "edfleet/core/log.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/contracts/topics.h"
#include "rdkafka_util.h"

namespace edfleet::kafka {

PoisonMessage::PoisonMessage(std::size_t index_in_batch, std::string reason)
    : std::runtime_error(std::move(reason)), index(index_in_batch) {}

namespace {

using SteadyClock = std::chrono::steady_clock;
using Partition = std::pair<std::string, int32_t>;

constexpr auto kMaxBackoff = std::chrono::milliseconds(10000);
constexpr auto kPollSlice = std::chrono::milliseconds(100);
constexpr auto kDlqTimeout = std::chrono::milliseconds(10000);
// Bounds the metadata and watermark requests that check the handler's stored offsets.
constexpr auto kOffsetCheckTimeout = std::chrono::milliseconds(3000);

nlohmann::json describe(const rd_kafka_topic_partition_list_t* list) {
  nlohmann::json out = nlohmann::json::array();
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back(std::string(list->elems[i].topic) + "/" + std::to_string(list->elems[i].partition));
  }
  return out;
}

}  // namespace

class ConsumerLoop::Impl {
 public:
  Impl(ConsumerConfig config, BatchHandler& handler, Producer& dlq_producer)
      : config_(std::move(config)), handler_(handler), dlq_producer_(dlq_producer) {
    if (config_.bootstrap_servers.empty()) throw std::runtime_error("kafka consumer: bootstrap_servers is empty");
    if (config_.group_id.empty()) throw std::runtime_error("kafka consumer: group_id is empty");
    if (config_.topics.empty()) throw std::runtime_error("kafka consumer: no topics to consume");
    if (config_.max_batch == 0) throw std::runtime_error("kafka consumer: max_batch must be at least 1");
    if (config_.max_attempts < 1) throw std::runtime_error("kafka consumer: max_attempts must be at least 1");
    if (config_.registry != nullptr) register_metrics(*config_.registry);

    const auto session_ms = config_.session_timeout.count();
    detail::Properties properties = {
        {"bootstrap.servers", config_.bootstrap_servers},
        {"group.id", config_.group_id},
        {"client.id", config_.client_id},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        {"enable.partition.eof", "false"},
        // Eager range assignment: the protocol librdkafka's mock cluster handles most reliably.
        {"partition.assignment.strategy", "range"},
        {"session.timeout.ms", std::to_string(session_ms)},
        {"fetch.wait.max.ms", std::to_string(config_.fetch_wait_max.count())},
        // Reconnect within a second once a broker is back (librdkafka backs off up to 10 s by
        // default, which the broker-outage fault test measured as up to 14 s of extra catch-up).
        {"reconnect.backoff.max.ms", "1000"},
        // Frequent heartbeats so that members notice a rebalance quickly.
        {"heartbeat.interval.ms", std::to_string(std::clamp<long long>(session_ms / 5, 100, 3000))},
    };
    properties.insert(properties.end(), config_.extra.begin(), config_.extra.end());
    rk_ = detail::new_client(RD_KAFKA_CONSUMER, properties, "kafka consumer (group " + config_.group_id + ")",
                             [this](rd_kafka_conf_t* conf) {
                               rd_kafka_conf_set_opaque(conf, this);
                               rd_kafka_conf_set_rebalance_cb(conf, &Impl::on_rebalance_cb);
                               rd_kafka_conf_set_error_cb(conf, &Impl::on_error_cb);
                               rd_kafka_conf_set_log_cb(conf, &Impl::on_log_cb);
                             });
    // Serve errors and logs from the consumer queue, i.e. on the run() thread.
    rd_kafka_poll_set_consumer(rk_);
    note_ends_at_start();
  }

  ~Impl() {
    if (!closed_) rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }

  void run() {
    if (closed_) throw std::logic_error("kafka consumer: run() called again after it returned");
    if (stop_.load()) return;
    detail::PartitionList topics(static_cast<int>(config_.topics.size()));
    for (const auto& topic : config_.topics) {
      rd_kafka_topic_partition_list_add(topics.list, topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (auto err = rd_kafka_subscribe(rk_, topics.list); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("kafka consumer (group " + config_.group_id + "): subscribe failed: " +
                               rd_kafka_err2str(err));
    }
    core::log::info("kafka consumer started", {{"group", config_.group_id}, {"topics", config_.topics}});
    while (!stop_.load()) {
      collect();
      if (!batch_.messages.empty()) process();
    }
    rd_kafka_consumer_close(rk_);
    closed_ = true;
    assigned_.store(false);
    core::log::info("kafka consumer stopped", {{"group", config_.group_id}});
  }

  void stop() { stop_.store(true); }
  bool assigned() const { return assigned_.load(); }

 private:
  // The batch being collected or handled, plus the next offset to commit per partition. Rebalance
  // callbacks (which run inside consumer_poll on this thread) drop revoked partitions from it.
  struct Batch {
    std::vector<ConsumedMessage> messages;
    std::map<Partition, int64_t> next_offsets;
  };

  // A partition's offset range: [low, high) holds records, high is the next offset to be written.
  struct Watermarks {
    int64_t low = 0;
    int64_t high = 0;
  };

  void register_metrics(prometheus::Registry& registry) {
    const prometheus::Labels group = {{"group", config_.group_id}};
    consumed_ = &prometheus::BuildCounter()
                     .Name("edfleet_kafka_consumed_total")
                     .Help("Records handled by a consumer loop (the handler returned), by group and topic.")
                     .Register(registry);
    errors_ = &prometheus::BuildCounter()
                   .Name("edfleet_kafka_consumer_errors_total")
                   .Help("Consumer errors by kind: offset_out_of_range, commit_failed, dlq_failed, "
                         "stored_offset_failed, watermarks_failed, librdkafka error names, ...")
                   .Register(registry);
    dead_lettered_ = &prometheus::BuildCounter()
                .Name("edfleet_kafka_dlq_total")
                .Help("Records sent to a dead-letter topic, by group and source topic.")
                .Register(registry);
    retries_ = &prometheus::BuildCounter()
                    .Name("edfleet_kafka_handler_retries_total")
                    .Help("Batches handed to the handler again after it failed, by kind (poison, transient).")
                    .Register(registry);
    assigned_partitions_ = &prometheus::BuildGauge()
                                .Name("edfleet_kafka_consumer_assigned_partitions")
                                .Help("Partitions currently assigned to this consumer group member.")
                                .Register(registry)
                                .Add(group);
  }

  void count(prometheus::Family<prometheus::Counter>* family, const std::string& label,
             const std::string& value, double amount = 1) {
    if (family == nullptr) return;
    family->Add({{"group", config_.group_id}, {label, value}}).Increment(amount);
  }

  // --- polling ---------------------------------------------------------------------------------

  void collect() {
    batch_ = Batch{};
    SteadyClock::time_point deadline{};
    while (!stop_.load() && batch_.messages.size() < config_.max_batch) {
      auto timeout = kPollSlice;
      if (!batch_.messages.empty()) {
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (remaining.count() <= 0) break;
        timeout = std::min(timeout, remaining);
      }
      const bool was_empty = batch_.messages.empty();
      poll_once(timeout);
      if (was_empty && !batch_.messages.empty()) deadline = SteadyClock::now() + config_.max_batch_wait;
    }
  }

  // Polls once; a record is appended to the batch, an error is reported.
  void poll_once(std::chrono::milliseconds timeout) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk_, static_cast<int>(timeout.count()));
    if (message == nullptr) return;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      report_consume_error(message);
    } else {
      append(message);
    }
    rd_kafka_message_destroy(message);
  }

  void append(const rd_kafka_message_t* message) {
    ConsumedMessage out = detail::to_consumed(message);
    auto& next = batch_.next_offsets[{out.topic, out.partition}];
    next = std::max(next, out.offset + 1);
    batch_.messages.push_back(std::move(out));
  }

  void report_consume_error(const rd_kafka_message_t* message) {
    const std::string kind = message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF
                                 ? "partition_eof"
                                 : detail::error_kind(message->err);
    nlohmann::json fields = {{"group", config_.group_id},
                             {"error", rd_kafka_err2name(message->err)},
                             {"reason", rd_kafka_message_errstr(message)}};
    if (message->rkt != nullptr) {
      fields["topic"] = rd_kafka_topic_name(message->rkt);
      fields["partition"] = message->partition;
      fields["offset"] = message->offset;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      core::log::warn("kafka consumer reached the end of a partition", fields);
    } else {
      core::log::error("kafka consumer error", fields);
    }
    count(errors_, "kind", kind);
  }

  // --- handling --------------------------------------------------------------------------------

  void process() {
    std::map<std::tuple<std::string, int32_t, int64_t>, int> poison_attempts;
    auto backoff = config_.retry_backoff;
    bool first = true;
    while (!batch_.messages.empty()) {  // empty: every record was dead-lettered or revoked
      if (!first && stop_.load()) {
        core::log::warn("kafka consumer stopping with an unhandled batch; it will be redelivered",
                        {{"group", config_.group_id}, {"records", batch_.messages.size()}});
        resume_paused();
        return;
      }
      first = false;
      try {
        handler_.handle(std::span<const ConsumedMessage>(batch_.messages));
        if (consumed_ != nullptr) {
          std::map<std::string, double> per_topic;
          for (const auto& m : batch_.messages) per_topic[m.topic] += 1;
          for (const auto& [topic, n] : per_topic) count(consumed_, "topic", topic, n);
        }
        break;
      } catch (const PoisonMessage& poison) {
        if (poison.index >= batch_.messages.size()) {
          core::log::error("kafka handler threw PoisonMessage with an index outside the batch; retrying",
                           {{"group", config_.group_id}, {"index", poison.index},
                            {"batch_size", batch_.messages.size()}, {"reason", poison.what()}});
          count(errors_, "kind", "bad_poison_index");
          retry_after(backoff, "transient");
          continue;
        }
        const ConsumedMessage& message = batch_.messages[poison.index];
        int attempts = ++poison_attempts[{message.topic, message.partition, message.offset}];
        if (attempts < config_.max_attempts) {
          core::log::warn("kafka handler rejected a record; retrying",
                          {{"group", config_.group_id}, {"topic", message.topic},
                           {"partition", message.partition}, {"offset", message.offset},
                           {"attempt", attempts}, {"reason", poison.what()}});
          count(retries_, "kind", "poison");
          wait(config_.retry_backoff);
          continue;
        }
        if (!send_to_dlq(message, poison.what(), attempts)) {
          retry_after(backoff, "transient");
          continue;
        }
        // Still covered by next_offsets, so the commit moves past it.
        batch_.messages.erase(batch_.messages.begin() + static_cast<std::ptrdiff_t>(poison.index));
      } catch (const std::exception& e) {
        core::log::error("kafka handler failed; retrying the batch",
                         {{"group", config_.group_id}, {"records", batch_.messages.size()},
                          {"error", e.what()}, {"retry_in_ms", backoff.count()}});
        retry_after(backoff, "transient");
      } catch (...) {
        core::log::error("kafka handler failed with a non-standard exception; retrying the batch",
                         {{"group", config_.group_id}, {"records", batch_.messages.size()},
                          {"retry_in_ms", backoff.count()}});
        retry_after(backoff, "transient");
      }
    }
    // The handler has now stored offsets of these partitions' current records.
    for (const auto& entry : batch_.next_offsets) handled_since_start_.insert(entry.first);
    commit();
    resume_paused();
  }

  void retry_after(std::chrono::milliseconds& backoff, const std::string& kind) {
    count(retries_, "kind", kind);
    wait(backoff);
    backoff = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(backoff * 2),
                       std::max(kMaxBackoff, config_.retry_backoff));
  }

  // Backs off while staying a live group member: the assigned partitions are paused (so nothing new
  // piles up) and the consumer keeps polling, which serves rebalances and max.poll.interval.ms. A
  // record that still arrives (from a partition assigned meanwhile) joins the batch, in order.
  void wait(std::chrono::milliseconds duration) {
    const auto deadline = SteadyClock::now() + duration;
    while (!stop_.load() && !batch_.messages.empty()) {  // empty: everything was revoked
      pause_assignment();  // again each time: a rebalance may have assigned new partitions
      auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (remaining.count() <= 0) break;
      poll_once(std::min(remaining, kPollSlice));
    }
  }

  void pause_assignment() {
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(rk_, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    detail::PartitionList assignment(raw);
    detail::PartitionList to_pause(assignment.list->cnt);
    for (int i = 0; i < assignment.list->cnt; ++i) {
      const auto& p = assignment.list->elems[i];
      if (paused_.insert({p.topic, p.partition}).second) {
        rd_kafka_topic_partition_list_add(to_pause.list, p.topic, p.partition);
      }
    }
    if (to_pause.list->cnt > 0) rd_kafka_pause_partitions(rk_, to_pause.list);
  }

  void resume_paused() {
    if (paused_.empty()) return;
    detail::PartitionList list(static_cast<int>(paused_.size()));
    for (const auto& [topic, partition] : paused_) {
      rd_kafka_topic_partition_list_add(list.list, topic.c_str(), partition);
    }
    rd_kafka_resume_partitions(rk_, list.list);
    paused_.clear();
  }

  bool send_to_dlq(const ConsumedMessage& message, const std::string& reason, int attempts) {
    OutgoingMessage out{contracts::dlq_topic(message.topic), message.key, message.value, message.headers};
    out.headers.emplace_back(kErrorHeader, reason);
    out.headers.emplace_back(kOriginalTopicHeader, message.topic);
    out.headers.emplace_back(kOriginalPartitionHeader, std::to_string(message.partition));
    out.headers.emplace_back(kOriginalOffsetHeader, std::to_string(message.offset));
    out.headers.emplace_back(kConsumerGroupHeader, config_.group_id);
    out.headers.emplace_back(kAttemptsHeader, std::to_string(attempts));
    const std::string dlq = out.topic;
    std::vector<OutgoingMessage> one;
    one.push_back(std::move(out));
    DeliveryReport report = dlq_producer_.produce_and_wait(std::move(one), kDlqTimeout).at(0);
    nlohmann::json fields = {{"group", config_.group_id}, {"topic", message.topic},
                             {"partition", message.partition}, {"offset", message.offset},
                             {"dlq", dlq}, {"attempts", attempts}, {"reason", reason}};
    if (!report.ok) {
      fields["error"] = report.error;
      core::log::error("kafka consumer could not dead-letter a poison record; retrying", fields);
      count(errors_, "kind", "dlq_failed");
      return false;
    }
    core::log::error("kafka record dead-lettered", fields);
    count(dead_lettered_, "topic", message.topic);
    return true;
  }

  void commit() {
    if (batch_.next_offsets.empty()) return;
    detail::PartitionList list(static_cast<int>(batch_.next_offsets.size()));
    for (const auto& [partition, next] : batch_.next_offsets) {
      rd_kafka_topic_partition_list_add(list.list, partition.first.c_str(), partition.second)->offset = next;
    }
    rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list.list, 0 /* synchronous */);
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list.list->cnt; ++i) {
      err = list.list->elems[i].err;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Typically a rebalance in progress; the new owner redelivers from the last commit, and
      // effects are idempotent, so logging is all there is to do.
      core::log::warn("kafka offset commit failed; records may be redelivered",
                      {{"group", config_.group_id}, {"error", rd_kafka_err2str(err)},
                       {"partitions", describe(list.list)}});
      count(errors_, "kind", "commit_failed");
    }
  }

  // --- callbacks (run on the run() thread, inside rd_kafka_consumer_poll) ----------------------

  static void on_rebalance_cb(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<Impl*>(opaque)->on_rebalance(err, partitions);
  }

  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < partitions->cnt; ++i) {
        auto& p = partitions->elems[i];
        if (auto stored = stored_offset(p.topic, p.partition)) p.offset = start_offset(p.topic, p.partition, *stored);
      }
      change_assignment(partitions, /*add=*/true, cooperative);
      assigned_.store(true);
      core::log::info("kafka partitions assigned",
                      {{"group", config_.group_id}, {"client", rd_kafka_name(rk_)},
                       {"partitions", describe(partitions)}});
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      forget(partitions);
      change_assignment(partitions, /*add=*/false, cooperative);
      assigned_.store(cooperative && current_assignment_size() > 0);
      core::log::info("kafka partitions revoked",
                      {{"group", config_.group_id}, {"client", rd_kafka_name(rk_)},
                       {"partitions", describe(partitions)}});
    } else {
      core::log::error("kafka rebalance failed; dropping the assignment",
                       {{"group", config_.group_id}, {"error", rd_kafka_err2str(err)}});
      count(errors_, "kind", detail::error_kind(err));
      forget(partitions);
      rd_kafka_assign(rk_, nullptr);
      assigned_.store(false);
    }
    if (assigned_partitions_ != nullptr) {
      assigned_partitions_->Set(static_cast<double>(current_assignment_size()));
    }
  }

  // Asks the handler; a handler that cannot answer (its database is down) is asked again with
  // backoff, because assigning at the group offset instead could skip or repeat its own progress.
  std::optional<int64_t> stored_offset(const std::string& topic, int32_t partition) {
    auto backoff = config_.retry_backoff;
    for (;;) {
      try {
        return handler_.stored_offset(topic, partition);
      } catch (const std::exception& e) {
        core::log::error("kafka handler could not read its stored offset; retrying",
                         {{"group", config_.group_id}, {"topic", topic}, {"partition", partition},
                          {"error", e.what()}});
        count(errors_, "kind", "stored_offset_failed");
      }
      if (stop_.load()) return std::nullopt;  // shutting down: nothing will be consumed anyway
      std::this_thread::sleep_for(backoff);
      backoff = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(backoff * 2), kMaxBackoff);
    }
  }

  // Where an assigned partition starts, given the handler's stored offset. A stored offset outside
  // the partition's records — beyond its end (the topic or the whole cluster was recreated while
  // the handler's database kept its offsets) or before its start (lost to retention) — would skip
  // records silently or be reset by librdkafka: it is logged as an error, counted, and the partition
  // starts at its earliest record instead (handlers are idempotent, so re-reading is safe).
  //
  // Records produced to a recreated topic in the seconds between start-up and this assignment can
  // lift its end past a stale offset, so the end noted when the loop was created counts too: a
  // stored offset beyond it is stale unless something shows progress on this log since then — this
  // loop handled the partition, or the group committed past that end (another member did).
  int64_t start_offset(const std::string& topic, int32_t partition, int64_t stored) {
    if (stored < 0) return stored;  // a logical offset (RD_KAFKA_OFFSET_BEGINNING, ...): nothing to check
    nlohmann::json fields = {{"group", config_.group_id}, {"topic", topic},
                             {"partition", partition}, {"stored", stored}};
    auto marks = watermarks(topic, partition);
    if (!marks) {
      core::log::warn("kafka consumer resumes at the handler's stored offset without checking it "
                      "(the partition's offsets could not be read)",
                      fields);
      return stored;
    }
    fields["low"] = marks->low;
    fields["high"] = marks->high;
    bool valid = stored >= marks->low && stored <= marks->high;
    const Partition key{topic, partition};
    const auto at_start = end_at_start_.find(key);
    if (valid && at_start != end_at_start_.end() && stored > at_start->second && !handled_since_start_.contains(key)) {
      const auto committed = committed_offset(topic, partition);
      fields["high_at_start"] = at_start->second;
      fields["group_committed"] = committed ? nlohmann::json(*committed) : nlohmann::json(nullptr);
      valid = committed && *committed > at_start->second;
    }
    if (valid) {
      core::log::info("kafka consumer resumes at the handler's stored offset", fields);
      return stored;
    }
    core::log::error("kafka consumer: the handler's stored offset is out of range for the partition "
                     "(topic recreated, new cluster, or records lost to retention); starting at the "
                     "earliest offset instead of skipping records",
                     fields);
    count(errors_, "kind", "offset_out_of_range");
    if (config_.on_records_lost) config_.on_records_lost();
    return RD_KAFKA_OFFSET_BEGINNING;
  }

  std::optional<Watermarks> watermarks(const std::string& topic, int32_t partition) {
    Watermarks marks;
    const auto err = rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &marks.low, &marks.high,
                                                      static_cast<int>(kOffsetCheckTimeout.count()));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return marks;
    core::log::warn("kafka consumer could not read a partition's offsets",
                    {{"group", config_.group_id}, {"topic", topic}, {"partition", partition},
                     {"error", rd_kafka_err2str(err)}});
    count(errors_, "kind", "watermarks_failed");
    return std::nullopt;
  }

  // The group's committed offset for the partition; nullopt when there is none or it cannot be read.
  std::optional<int64_t> committed_offset(const std::string& topic, int32_t partition) {
    detail::PartitionList list(1);
    rd_kafka_topic_partition_list_add(list.list, topic.c_str(), partition);
    const auto err = rd_kafka_committed(rk_, list.list, static_cast<int>(kOffsetCheckTimeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || list.list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      core::log::warn("kafka consumer could not read the group's committed offset",
                      {{"group", config_.group_id}, {"topic", topic}, {"partition", partition},
                       {"error", rd_kafka_err2str(err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : list.list->elems[0].err)}});
      return std::nullopt;
    }
    const int64_t offset = list.list->elems[0].offset;
    return offset >= 0 ? std::optional<int64_t>(offset) : std::nullopt;
  }

  // Run once, by the constructor (services build their loops before they report ready, so before
  // anything is produced on their behalf to a recreated topic): notes each partition's end for
  // start_offset(). Best effort: when the cluster does not answer, only the assignment's checks run.
  void note_ends_at_start() {
    for (const auto& topic : config_.topics) {
      for (int32_t partition : detail::partitions_of(rk_, topic, static_cast<int>(kOffsetCheckTimeout.count()))) {
        if (auto marks = watermarks(topic, partition)) end_at_start_[{topic, partition}] = marks->high;
      }
    }
  }

  // Drops revoked partitions from the batch (their new owner redelivers from the last commit).
  void forget(const rd_kafka_topic_partition_list_t* partitions) {
    std::set<Partition> revoked;
    for (int i = 0; i < partitions->cnt; ++i) {
      revoked.insert({partitions->elems[i].topic, partitions->elems[i].partition});
    }
    std::erase_if(batch_.messages, [&](const ConsumedMessage& m) {
      return revoked.contains({m.topic, m.partition});
    });
    std::erase_if(batch_.next_offsets, [&](const auto& entry) { return revoked.contains(entry.first); });
    detail::PartitionList to_resume(partitions->cnt);
    for (const auto& p : revoked) {
      if (paused_.erase(p) > 0) rd_kafka_topic_partition_list_add(to_resume.list, p.first.c_str(), p.second);
    }
    if (to_resume.list->cnt > 0) rd_kafka_resume_partitions(rk_, to_resume.list);
  }

  int current_assignment_size() {
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(rk_, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    detail::PartitionList assignment(raw);
    return assignment.list->cnt;
  }

  // Adds or removes `partitions` the protocol's way: incrementally (cooperative) or the whole
  // assignment at once (eager: assign them, or unassign everything).
  void change_assignment(rd_kafka_topic_partition_list_t* partitions, bool add, bool cooperative) {
    rd_kafka_error_t* error = nullptr;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cooperative) {
      error = add ? rd_kafka_incremental_assign(rk_, partitions) : rd_kafka_incremental_unassign(rk_, partitions);
    } else {
      err = rd_kafka_assign(rk_, add ? partitions : nullptr);
    }
    report_assign_error(error, err, add ? "assign" : "unassign");
  }

  void report_assign_error(rd_kafka_error_t* error, rd_kafka_resp_err_t err, const char* action) {
    std::string reason;
    if (error != nullptr) {
      reason = rd_kafka_error_string(error);
      err = rd_kafka_error_code(error);
      rd_kafka_error_destroy(error);
    } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      reason = rd_kafka_err2str(err);
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    core::log::error(std::string("kafka consumer could not ") + action + " partitions",
                     {{"group", config_.group_id}, {"error", reason}});
    count(errors_, "kind", action + std::string("_failed"));
  }

  static void on_error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    auto code = static_cast<rd_kafka_resp_err_t>(err);
    core::log::error("kafka consumer error",
                     {{"group", self->config_.group_id}, {"client", rd_kafka_name(rk)},
                      {"error", rd_kafka_err2name(code)}, {"reason", reason != nullptr ? reason : ""}});
    self->count(self->errors_, "kind", detail::error_kind(code));
  }

  // librdkafka resets an out-of-range offset to auto.offset.reset (earliest) and only says so in a
  // warning log line; turn that into a loud error and a metric, since records were lost.
  static void on_log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    auto* self = static_cast<Impl*>(rd_kafka_opaque(rk));
    if (self != nullptr && level <= 4 && facility != nullptr && std::strcmp(facility, "OFFSET") == 0 &&
        text != nullptr && std::strstr(text, "offset reset") != nullptr) {
      core::log::error("kafka consumer offset out of range: restarting the partition at its earliest "
                       "offset (records may have been lost to retention)",
                       {{"group", self->config_.group_id}, {"detail", text}});
      self->count(self->errors_, "kind", "offset_out_of_range");
      if (self->config_.on_records_lost) self->config_.on_records_lost();
      return;
    }
    detail::log_line(rk, level, facility, text);
  }

  ConsumerConfig config_;
  BatchHandler& handler_;
  Producer& dlq_producer_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<bool> assigned_{false};
  bool closed_ = false;
  Batch batch_;
  std::set<Partition> paused_;
  std::map<Partition, int64_t> end_at_start_;     // each partition's high watermark when created
  std::set<Partition> handled_since_start_;       // partitions this loop has handled a batch of
  prometheus::Family<prometheus::Counter>* consumed_ = nullptr;
  prometheus::Family<prometheus::Counter>* errors_ = nullptr;
  prometheus::Family<prometheus::Counter>* dead_lettered_ = nullptr;
  prometheus::Family<prometheus::Counter>* retries_ = nullptr;
  prometheus::Gauge* assigned_partitions_ = nullptr;
};

ConsumerLoop::ConsumerLoop(ConsumerConfig config, BatchHandler& handler, Producer& dlq_producer)
    : impl_(std::make_unique<Impl>(std::move(config), handler, dlq_producer)) {}
ConsumerLoop::~ConsumerLoop() = default;
void ConsumerLoop::run() { impl_->run(); }
void ConsumerLoop::stop() { impl_->stop(); }
bool ConsumerLoop::assigned() const { return impl_->assigned(); }

}  // namespace edfleet::kafka
