// Integration tests of the producer, the consumer loop and the broker binary against ONE in-process
// embedded broker (librdkafka's mock cluster) shared by every test case of this binary.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "edfleet/core/log.h"
#include "edfleet/kafka/consumer.h"
#include "edfleet/kafka/embedded_broker.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/kafka/topic_reader.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/testing/metrics.h"
#include "edfleet/testing/wait.h"

extern char** environ;

namespace kafka = edfleet::kafka;
namespace contracts = edfleet::contracts;
using namespace std::chrono_literals;
using edfleet::testing::metric;
using edfleet::testing::wait_until;

namespace {

kafka::EmbeddedBroker& broker() {
  static kafka::EmbeddedBroker instance = [] {
    const char* level = std::getenv("EDFLEET_TEST_LOG_LEVEL");  // e.g. info, to debug a failure
    edfleet::core::log::init("kafka-tests", level != nullptr ? level : "warn");
    return kafka::EmbeddedBroker(kafka::EmbeddedBroker::Options{});
  }();
  return instance;
}

std::string unique(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// A fresh topic (and its DLQ) so that test cases never see each other's records.
std::string fresh_topic(std::string_view prefix, int partitions) {
  std::string topic = unique(std::string("test.") + std::string(prefix));
  broker().create_topic(topic, partitions);
  broker().create_topic(contracts::dlq_topic(topic), 1);
  return topic;
}

kafka::ProducerConfig producer_config(prometheus::Registry* registry = nullptr) {
  kafka::ProducerConfig config;
  config.bootstrap_servers = broker().bootstrap_servers();
  config.client_id = "kafka-tests";
  config.registry = registry;
  return config;
}

kafka::ConsumerConfig consumer_config(const std::string& topic, const std::string& group,
                                      prometheus::Registry* registry = nullptr) {
  kafka::ConsumerConfig config;
  config.bootstrap_servers = broker().bootstrap_servers();
  config.group_id = group;
  config.topics = {topic};
  config.client_id = "kafka-tests";
  config.max_batch = 50;
  config.retry_backoff = 20ms;
  config.session_timeout = 3000ms;
  config.registry = registry;
  return config;
}

std::vector<kafka::OutgoingMessage> numbered(const std::string& topic, int from, int to, int keys) {
  std::vector<kafka::OutgoingMessage> out;
  for (int i = from; i < to; ++i) {
    out.push_back({topic, "key-" + std::to_string(i % keys), "value-" + std::to_string(i),
                   {{"seq", std::to_string(i)}}});
  }
  return out;
}

void produce_all(kafka::Producer& producer, std::vector<kafka::OutgoingMessage> messages) {
  for (const auto& report : producer.produce_and_wait(std::move(messages), 10s)) {
    REQUIRE(report.ok);
  }
}

// Records every batch handed to it; an optional hook runs first and may throw.
class RecordingHandler : public kafka::BatchHandler {
 public:
  std::function<void(std::span<const kafka::ConsumedMessage>)> before;
  std::function<std::optional<int64_t>(const std::string&, int32_t)> offsets;

  void handle(std::span<const kafka::ConsumedMessage> batch) override {
    {
      std::lock_guard lock(mutex_);
      ++calls_;
    }
    if (before) before(batch);
    std::lock_guard lock(mutex_);
    handled_.insert(handled_.end(), batch.begin(), batch.end());
  }

  std::optional<int64_t> stored_offset(const std::string& topic, int32_t partition) override {
    {
      std::lock_guard lock(mutex_);
      ++stored_offset_calls_;
    }
    return offsets ? offsets(topic, partition) : std::nullopt;
  }

  std::vector<kafka::ConsumedMessage> handled() const {
    std::lock_guard lock(mutex_);
    return handled_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return handled_.size();
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  int stored_offset_calls() const {
    std::lock_guard lock(mutex_);
    return stored_offset_calls_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<kafka::ConsumedMessage> handled_;
  int calls_ = 0;
  int stored_offset_calls_ = 0;
};

// A ConsumerLoop running on its own thread, stopped and joined when it goes out of scope.
class RunningConsumer {
 public:
  // `before_run` runs after the loop was created and before it runs (subscribes).
  RunningConsumer(kafka::ConsumerConfig config, kafka::BatchHandler& handler, kafka::Producer& dlq,
                  const std::function<void()>& before_run = {})
      : loop_(std::move(config), handler, dlq), thread_([this, &before_run] {
          if (before_run) before_run();
          return std::thread([this] { loop_.run(); });
        }()) {}
  ~RunningConsumer() { stop(); }
  void stop() {
    loop_.stop();
    if (thread_.joinable()) thread_.join();
  }
  bool assigned() const { return loop_.assigned(); }

 private:
  kafka::ConsumerLoop loop_;
  std::thread thread_;
};

// A plain librdkafka consumer for observing the broker independently of the code under test.
class Observer {
 public:
  explicit Observer(const std::string& group = unique("observer")) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[512];
    REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", broker().bootstrap_servers().c_str(), error,
                              sizeof error) == RD_KAFKA_CONF_OK);
    REQUIRE(rd_kafka_conf_set(conf, "group.id", group.c_str(), error, sizeof error) == RD_KAFKA_CONF_OK);
    REQUIRE(rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error) ==
            RD_KAFKA_CONF_OK);
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    REQUIRE(rk_ != nullptr);
  }
  ~Observer() {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }

  // The group's committed offset per partition (-1001 = none).
  std::vector<int64_t> committed(const std::string& topic, int partitions) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    std::vector<int64_t> out(static_cast<std::size_t>(partitions), -1);
    if (rd_kafka_committed(rk_, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < list->cnt; ++i) out[static_cast<std::size_t>(list->elems[i].partition)] = list->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return out;
  }

  // Commits `offset` for one partition as this observer's group (as another member would).
  void commit(const std::string& topic, int32_t partition, int64_t offset) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
    const auto err = rd_kafka_commit(rk_, list, 0);
    rd_kafka_topic_partition_list_destroy(list);
    REQUIRE(err == RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  int64_t high_watermark(const std::string& topic, int32_t partition) {
    int64_t low = -1;
    int64_t high = -1;
    REQUIRE(rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &low, &high, 5000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR);
    return high;
  }

 private:
  rd_kafka_t* rk_ = nullptr;
};

// Per partition, the offsets the handler saw, in the order it saw them.
std::map<int32_t, std::vector<int64_t>> offsets_by_partition(const std::vector<kafka::ConsumedMessage>& messages) {
  std::map<int32_t, std::vector<int64_t>> out;
  for (const auto& m : messages) out[m.partition].push_back(m.offset);
  return out;
}

}  // namespace

TEST_CASE("produce_and_wait acknowledges every record with its offset, in input order",
          "[kafka][producer]") {
  prometheus::Registry registry;
  const std::string topic = fresh_topic("produce", 3);
  kafka::Producer producer(producer_config(&registry));

  auto reports = producer.produce_and_wait(numbered(topic, 0, 30, 5), 10s);
  REQUIRE(reports.size() == 30);
  std::map<int32_t, std::vector<int64_t>> offsets;
  std::map<std::string, int32_t> partition_of_key;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    INFO("record " << i << ": " << reports[i].error);
    REQUIRE(reports[i].ok);
    CHECK(reports[i].error.empty());
    REQUIRE(reports[i].partition >= 0);
    REQUIRE(reports[i].partition < 3);
    offsets[reports[i].partition].push_back(reports[i].offset);
    // One key, one partition.
    auto [it, inserted] = partition_of_key.emplace("key-" + std::to_string(i % 5), reports[i].partition);
    CHECK(it->second == reports[i].partition);
  }
  // The reports are in input order: each partition's offsets count up from 0 without gaps.
  for (const auto& [partition, list] : offsets) {
    for (std::size_t i = 0; i < list.size(); ++i) CHECK(list[i] == static_cast<int64_t>(i));
  }
  CHECK(metric(registry, "edfleet_kafka_produced_total", {{"topic", topic}, {"result", "ok"}}) == 30);

  SECTION("an empty request returns no reports") {
    CHECK(producer.produce_and_wait({}, 1s).empty());
  }
  SECTION("produce() calls back exactly once per record") {
    std::mutex mutex;
    std::vector<kafka::DeliveryReport> seen;
    for (int i = 0; i < 10; ++i) {
      producer.produce({topic, "k", "v" + std::to_string(i), {}}, [&](const kafka::DeliveryReport& r) {
        std::lock_guard lock(mutex);
        seen.push_back(r);
      });
    }
    REQUIRE(producer.flush(10s));
    std::lock_guard lock(mutex);
    REQUIRE(seen.size() == 10);
    for (const auto& r : seen) CHECK(r.ok);
  }
}

TEST_CASE("read_topic returns every record there, by partition and offset, without a group",
          "[kafka][read_topic]") {
  const std::string topic = fresh_topic("read", 3);
  kafka::Producer producer(producer_config());
  const auto reports = producer.produce_and_wait(numbered(topic, 0, 30, 7), 10s);

  const auto records = kafka::read_topic(broker().bootstrap_servers(), topic, 10s);
  REQUIRE(records.size() == 30);
  std::map<std::pair<int32_t, int64_t>, std::string> where;  // (partition, offset) -> value
  for (std::size_t i = 0; i < reports.size(); ++i) {
    REQUIRE(reports[i].ok);
    where[{reports[i].partition, reports[i].offset}] = "value-" + std::to_string(i);
  }
  auto expected = where.begin();
  for (const auto& m : records) {
    CHECK(m.topic == topic);
    CHECK(std::pair{m.partition, m.offset} == expected->first);
    CHECK(m.value == expected->second);
    CHECK(m.header("seq") == std::optional<std::string>(m.value.substr(6)));
    CHECK(m.key.rfind("key-", 0) == 0);
    ++expected;
  }
  CHECK(kafka::read_topic(broker().bootstrap_servers(), contracts::dlq_topic(topic), 10s).empty());
  CHECK_THROWS_WITH(kafka::read_topic("127.0.0.1:1", topic, 300ms), Catch::Contains(topic));  // no broker there
}

TEST_CASE("a bad producer or consumer configuration fails fast", "[kafka][config]") {
  kafka::ProducerConfig bad = producer_config();
  bad.extra["no.such.property"] = "1";
  CHECK_THROWS_WITH(kafka::Producer(bad), Catch::Contains("no.such.property"));
  CHECK_THROWS(kafka::Producer(kafka::ProducerConfig{}));

  kafka::Producer producer(producer_config());
  RecordingHandler handler;
  auto no_group = consumer_config("t", "");
  CHECK_THROWS_WITH(kafka::ConsumerLoop(no_group, handler, producer), Catch::Contains("group_id"));
  auto no_topics = consumer_config("t", "g");
  no_topics.topics.clear();
  CHECK_THROWS(kafka::ConsumerLoop(no_topics, handler, producer));
}

TEST_CASE("the consumer loop delivers every record in per-partition order and commits",
          "[kafka][consumer]") {
  prometheus::Registry registry;
  const std::string topic = fresh_topic("order", 4);
  const std::string group = unique("order");
  kafka::Producer producer(producer_config());
  produce_all(producer, numbered(topic, 0, 200, 8));

  RecordingHandler handler;
  RunningConsumer consumer(consumer_config(topic, group, &registry), handler, producer);
  REQUIRE(wait_until([&] { return handler.count() >= 200; }));

  const auto handled = handler.handled();
  std::set<std::string> values;
  for (const auto& m : handled) {
    values.insert(m.value);
    CHECK(m.topic == topic);
    CHECK(m.header("seq") == std::optional<std::string>(m.value.substr(6)));  // "value-N" -> "N"
    CHECK(m.timestamp_ms > 0);
  }
  CHECK(values.size() == 200);  // each record exactly once
  CHECK(handled.size() == 200);
  Observer observer;
  std::vector<int64_t> ends;
  for (int p = 0; p < 4; ++p) ends.push_back(observer.high_watermark(topic, p));
  for (const auto& [partition, offsets] : offsets_by_partition(handled)) {
    INFO("partition " << partition);
    REQUIRE(offsets.size() == static_cast<std::size_t>(ends[static_cast<std::size_t>(partition)]));
    for (std::size_t i = 0; i < offsets.size(); ++i) CHECK(offsets[i] == static_cast<int64_t>(i));
  }
  CHECK(consumer.assigned());

  // The group's committed offsets reach the end of every partition.
  // A partition that got no records has nothing to commit.
  std::vector<int64_t> expected;
  for (int64_t end : ends) expected.push_back(end > 0 ? end : RD_KAFKA_OFFSET_INVALID);
  Observer group_view(group);
  CHECK(wait_until([&] { return group_view.committed(topic, 4) == expected; }));
  CHECK(metric(registry, "edfleet_kafka_consumed_total", {{"group", group}, {"topic", topic}}) == 200);
  CHECK(metric(registry, "edfleet_kafka_consumer_assigned_partitions", {{"group", group}}) == 4);
  consumer.stop();
  CHECK_FALSE(consumer.assigned());
}

TEST_CASE("a restarted consumer resumes after the committed offsets", "[kafka][consumer]") {
  const std::string topic = fresh_topic("restart", 2);
  const std::string group = unique("restart");
  kafka::Producer producer(producer_config());
  produce_all(producer, numbered(topic, 0, 10, 4));

  {
    RecordingHandler first;
    RunningConsumer consumer(consumer_config(topic, group), first, producer);
    REQUIRE(wait_until([&] { return first.count() >= 10; }));
    Observer group_view(group);
    const std::vector<int64_t> ends = {group_view.high_watermark(topic, 0), group_view.high_watermark(topic, 1)};
    REQUIRE(ends[0] + ends[1] == 10);
    // A partition that got no records has nothing to commit.
    REQUIRE(wait_until([&] {
      auto committed = group_view.committed(topic, 2);
      for (std::size_t p = 0; p < 2; ++p) {
        if (ends[p] > 0 && committed[p] != ends[p]) return false;
      }
      return true;
    }));
  }  // stops, leaves the group

  produce_all(producer, numbered(topic, 10, 15, 4));
  RecordingHandler second;
  RunningConsumer consumer(consumer_config(topic, group), second, producer);
  REQUIRE(wait_until([&] { return second.count() >= 5; }));
  // Partitions are delivered in order, so a redelivered committed record would have come first.
  std::set<std::string> values;
  for (const auto& m : second.handled()) values.insert(m.value);
  CHECK(values == std::set<std::string>{"value-10", "value-11", "value-12", "value-13", "value-14"});
  CHECK(second.count() == 5);
}

namespace {

// One-partition topics, consumed by one group, whose handler reports a stored offset per topic.
// (Several scenarios share one consumer, as each consumer's group join costs seconds.)
struct StoredOffsetCase {
  prometheus::Registry registry;
  std::string group;
  std::vector<std::string> topics;
  kafka::Producer producer{producer_config()};
  RecordingHandler handler;

  StoredOffsetCase(std::string_view name, const std::vector<int64_t>& stored) : group(unique(name)) {
    std::map<std::string, int64_t> by_topic;
    for (int64_t offset : stored) {
      topics.push_back(fresh_topic(name, 1));
      by_topic[topics.back()] = offset;
    }
    handler.offsets = [by_topic](const std::string& topic, int32_t) -> std::optional<int64_t> {
      return by_topic.at(topic);
    };
  }
  kafka::ConsumerConfig config() {
    auto config = consumer_config(topics.at(0), group, &registry);
    config.topics = topics;
    return config;
  }
  void produce(std::size_t topic, int from, int to) { produce_all(producer, numbered(topics.at(topic), from, to, 1)); }
  // The offsets the handler saw of one topic, once it has seen `count` of them.
  std::vector<int64_t> handled_offsets(std::size_t topic, std::size_t count) {
    std::vector<int64_t> offsets;
    REQUIRE(wait_until([&] {
      offsets.clear();
      for (const auto& m : handler.handled()) {
        if (m.topic == topics.at(topic)) offsets.push_back(m.offset);
      }
      return offsets.size() >= count;
    }));
    return offsets;
  }
  double errors(const std::string& kind) {
    return metric(registry, "edfleet_kafka_consumer_errors_total", {{"group", group}, {"kind", kind}});
  }
  double all_errors() { return metric(registry, "edfleet_kafka_consumer_errors_total", {{"group", group}}); }
};

}  // namespace

TEST_CASE("the handler's stored offset decides where an assigned partition starts; at the end is no error",
          "[kafka][consumer][offsets]") {
  StoredOffsetCase c("stored", {6, 3});
  c.produce(0, 0, 10);
  c.produce(1, 0, 3);  // stored 3: caught up
  RunningConsumer consumer(c.config(), c.handler, c.producer);
  REQUIRE(wait_until([&] { return consumer.assigned(); }));
  c.produce(1, 3, 5);
  CHECK(c.handled_offsets(0, 4) == std::vector<int64_t>{6, 7, 8, 9});
  CHECK(c.handled_offsets(1, 2) == std::vector<int64_t>{3, 4});
  CHECK(c.handler.stored_offset_calls() >= 2);
  CHECK(c.all_errors() == 0);
}

TEST_CASE("a stored offset beyond the partition's end restarts it at the earliest record, loudly",
          "[kafka][consumer][offsets]") {
  // As when the handler's database outlived the topic (recreated, or a new embedded broker).
  StoredOffsetCase c("out-of-range", {1000});
  c.produce(0, 0, 5);
  std::atomic<int> lost{0};
  auto config = c.config();
  config.on_records_lost = [&lost] { ++lost; };
  RunningConsumer consumer(config, c.handler, c.producer);
  CHECK(c.handled_offsets(0, 5) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(c.errors("offset_out_of_range") == 1);
  CHECK(lost.load() == 1);  // and whoever vouches for completeness is told
}

TEST_CASE("a stored offset beyond the end when the loop was created is out of range even if records "
          "arrived before the assignment, unless the group committed past that end",
          "[kafka][consumer][offsets]") {
  StoredOffsetCase c("recreated", {2, 5});  // both topics empty when the loop is created
  RunningConsumer consumer(c.config(), c.handler, c.producer, [&] {
    // Topic 0: records produced between start-up and the group's assignment (which takes seconds)
    // bring its end past the stale stored offset; starting there would skip the first two.
    c.produce(0, 0, 5);
    // Topic 1: another member of the group handled records 0-4 of this same log and committed.
    c.produce(1, 0, 7);
    Observer(c.group).commit(c.topics[1], 0, 5);
  });
  CHECK(c.handled_offsets(0, 5) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(c.handled_offsets(1, 2) == std::vector<int64_t>{5, 6});
  CHECK(c.errors("offset_out_of_range") == 1);
}

TEST_CASE("a poison record goes to <topic>.dlq with error headers and the others are processed",
          "[kafka][consumer][dlq]") {
  prometheus::Registry registry;
  const std::string topic = fresh_topic("poison", 1);
  const std::string group = unique("poison");
  kafka::Producer producer(producer_config());
  auto messages = numbered(topic, 0, 6, 1);
  messages[3].value = "poison";
  messages[3].headers.emplace_back("ce_type", "quiz.submitted");
  produce_all(producer, messages);

  RecordingHandler handler;
  std::atomic<int> poison_attempts{0};
  handler.before = [&](std::span<const kafka::ConsumedMessage> batch) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].value == "poison") {
        ++poison_attempts;
        throw kafka::PoisonMessage(i, "cannot parse payload");
      }
    }
  };
  auto config = consumer_config(topic, group, &registry);
  config.max_attempts = 3;
  RunningConsumer consumer(config, handler, producer);
  REQUIRE(wait_until([&] { return handler.count() >= 5; }));
  Observer group_view(group);
  REQUIRE(wait_until([&] { return group_view.committed(topic, 1) == std::vector<int64_t>{6}; }));

  std::vector<std::string> values;
  for (const auto& m : handler.handled()) values.push_back(m.value);
  CHECK(values == std::vector<std::string>{"value-0", "value-1", "value-2", "value-4", "value-5"});
  CHECK(poison_attempts.load() == 3);

  Observer observer;
  const std::string dlq = contracts::dlq_topic(topic);
  CHECK(observer.high_watermark(dlq, 0) == 1);  // exactly one dead letter
  auto dead = kafka::read_topic(broker().bootstrap_servers(), dlq);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].key == "key-0");
  CHECK(dead[0].value == "poison");
  CHECK(dead[0].header("seq") == std::optional<std::string>("3"));
  CHECK(dead[0].header("ce_type") == std::optional<std::string>("quiz.submitted"));
  CHECK(dead[0].header(kafka::kErrorHeader) == std::optional<std::string>("cannot parse payload"));
  CHECK(dead[0].header(kafka::kOriginalTopicHeader) == std::optional<std::string>(topic));
  CHECK(dead[0].header(kafka::kOriginalPartitionHeader) == std::optional<std::string>("0"));
  CHECK(dead[0].header(kafka::kOriginalOffsetHeader) == std::optional<std::string>("3"));
  CHECK(dead[0].header(kafka::kConsumerGroupHeader) == std::optional<std::string>(group));
  CHECK(dead[0].header(kafka::kAttemptsHeader) == std::optional<std::string>("3"));
  CHECK(metric(registry, "edfleet_kafka_dlq_total", {{"group", group}, {"topic", topic}}) == 1);
}

TEST_CASE("a transient failure is retried until it succeeds, without the DLQ", "[kafka][consumer]") {
  prometheus::Registry registry;
  const std::string topic = fresh_topic("transient", 1);
  const std::string group = unique("transient");
  kafka::Producer producer(producer_config());
  produce_all(producer, numbered(topic, 0, 5, 1));

  RecordingHandler handler;
  std::atomic<int> failures{0};
  handler.before = [&](std::span<const kafka::ConsumedMessage>) {
    if (failures.load() < 3) {
      ++failures;
      throw std::runtime_error("database unavailable");
    }
  };
  RunningConsumer consumer(consumer_config(topic, group, &registry), handler, producer);
  REQUIRE(wait_until([&] { return handler.count() >= 5; }));
  Observer group_view(group);
  REQUIRE(wait_until([&] { return group_view.committed(topic, 1) == std::vector<int64_t>{5}; }));

  const auto handled = handler.handled();
  REQUIRE(handled.size() == 5);
  for (std::size_t i = 0; i < handled.size(); ++i) CHECK(handled[i].offset == static_cast<int64_t>(i));
  CHECK(failures.load() == 3);
  CHECK(metric(registry, "edfleet_kafka_handler_retries_total", {{"group", group}, {"kind", "transient"}}) == 3);
  Observer observer;
  CHECK(observer.high_watermark(contracts::dlq_topic(topic), 0) == 0);
  CHECK(metric(registry, "edfleet_kafka_dlq_total", {{"group", group}}) == 0);
}

TEST_CASE("a rebalance during a retried batch hands the partitions over without losing records",
          "[kafka][consumer][rebalance]") {
  const std::string topic = fresh_topic("rebalance", 2);
  const std::string group = unique("rebalance");
  kafka::Producer producer(producer_config());
  produce_all(producer, numbered(topic, 0, 40, 8));

  std::atomic<bool> second_joined{false};
  RecordingHandler first;
  // The first member cannot make progress until the second has joined, so the rebalance happens
  // while it is backing off with its batch (partitions paused, still polling).
  first.before = [&](std::span<const kafka::ConsumedMessage>) {
    if (!second_joined.load()) throw std::runtime_error("not yet");
  };
  RunningConsumer a(consumer_config(topic, group), first, producer);
  REQUIRE(wait_until([&] { return first.calls() >= 1; }));

  RecordingHandler second;
  RunningConsumer b(consumer_config(topic, group), second, producer);
  REQUIRE(wait_until([&] { return b.assigned(); }));
  second_joined.store(true);
  REQUIRE(wait_until([&] { return first.count() + second.count() >= 40; }));

  std::set<std::string> values;
  for (const auto* handler : {&first, &second}) {
    const auto handled = handler->handled();
    for (const auto& m : handled) values.insert(m.value);
    for (const auto& [partition, offsets] : offsets_by_partition(handled)) {
      INFO("partition " << partition);
      CHECK(std::is_sorted(offsets.begin(), offsets.end()));
    }
  }
  CHECK(values.size() == 40);  // every record handled (at least once)
  Observer group_view(group);
  const std::vector<int64_t> ends = {group_view.high_watermark(topic, 0), group_view.high_watermark(topic, 1)};
  std::vector<int64_t> expected;
  for (int64_t end : ends) expected.push_back(end > 0 ? end : RD_KAFKA_OFFSET_INVALID);
  CHECK(wait_until([&] { return group_view.committed(topic, 2) == expected; }));
}

TEST_CASE("stop() ends a consumer that is retrying a failing batch, without committing it",
          "[kafka][consumer]") {
  const std::string topic = fresh_topic("stop", 1);
  const std::string group = unique("stop");
  kafka::Producer producer(producer_config());
  produce_all(producer, numbered(topic, 0, 3, 1));

  RecordingHandler handler;
  handler.before = [](std::span<const kafka::ConsumedMessage>) { throw std::runtime_error("down"); };
  auto consumer = std::make_unique<RunningConsumer>(consumer_config(topic, group), handler, producer);
  REQUIRE(wait_until([&] { return handler.calls() >= 2; }));
  const auto started = std::chrono::steady_clock::now();
  consumer.reset();  // stop + join
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  Observer group_view(group);
  CHECK(group_view.committed(topic, 1) == std::vector<int64_t>{RD_KAFKA_OFFSET_INVALID});
}

namespace {

// Runs `edfleet-broker` as a child process.
class BrokerProcess {
 public:
  BrokerProcess(const std::string& ready_file, const std::string& stdout_file) {
    // ctest sets EDFLEET_BIN_DIR; when run by hand, the broker sits beside this test binary.
    const char* dir = std::getenv("EDFLEET_BIN_DIR");
    const std::string binary =
        (dir != nullptr ? std::filesystem::path(dir)
                        : std::filesystem::read_symlink("/proc/self/exe").parent_path()) /
        "edfleet-broker";
    REQUIRE(std::filesystem::exists(binary));
    std::vector<std::string> args = {binary, "--ready-file", ready_file, "--log-level", "warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~BrokerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  void signal(int number) { REQUIRE(::kill(pid_, number) == 0); }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("edfleet-broker serves the fleet topics to other processes and obeys its signals",
          "[kafka][broker-binary]") {
  const auto dir = std::filesystem::temp_directory_path() / unique("edfleet-broker");
  std::filesystem::create_directories(dir);
  const std::string ready = (dir / "ready.json").string();
  const std::string out = (dir / "stdout.txt").string();
  BrokerProcess process(ready, out);
  REQUIRE(wait_until([&] { return std::filesystem::exists(ready); }, 15s));

  const auto announced = nlohmann::json::parse(slurp(ready));
  const std::string bootstrap = announced.at("bootstrap_servers").get<std::string>();
  CHECK(bootstrap.rfind("127.0.0.1:", 0) == 0);
  REQUIRE(wait_until([&] { return slurp(out).find('\n') != std::string::npos; }, 5s));
  CHECK(nlohmann::json::parse(slurp(out)) == announced);  // the same single JSON line

  {
    kafka::ProducerConfig config;
    config.bootstrap_servers = bootstrap;
    kafka::Producer producer(config);
    std::vector<kafka::OutgoingMessage> one = {{std::string(contracts::kEventsTopic), "acme/l-1", "x", {}}};
    auto report = producer.produce_and_wait(one, 10s).at(0);
    REQUIRE(report.ok);
    CHECK(report.partition < 12);  // the catalogue's 12 partitions

    process.signal(SIGUSR1);  // all brokers down
    auto during = producer.produce_and_wait(one, 1500ms).at(0);
    CHECK_FALSE(during.ok);
    CHECK(during.error == "timed out");
    process.signal(SIGUSR2);  // up again: the queued record and a new one get through
    auto after = producer.produce_and_wait(one, 20s).at(0);
    CHECK(after.ok);
  }

  process.signal(SIGTERM);
  int status = process.wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(std::filesystem::exists(ready));
  std::filesystem::remove_all(dir);
}

// Last: it takes the shared broker down for a moment.
TEST_CASE("produce_and_wait still acknowledges once the brokers come back up", "[kafka][producer][outage]") {
  const std::string topic = fresh_topic("outage", 2);
  kafka::Producer producer(producer_config());
  produce_all(producer, numbered(topic, 0, 2, 2));  // connected and warmed up

  struct Restore {
    ~Restore() { broker().set_all_brokers_up(); }
  } restore;
  broker().set_all_brokers_down();
  auto pending = std::async(std::launch::async, [&] { return producer.produce_and_wait(numbered(topic, 2, 6, 2), 30s); });
  // Nothing can be acknowledged while the brokers are down.
  CHECK(pending.wait_for(1500ms) == std::future_status::timeout);
  broker().set_all_brokers_up();

  REQUIRE(pending.wait_for(30s) == std::future_status::ready);
  auto reports = pending.get();
  REQUIRE(reports.size() == 4);
  for (const auto& report : reports) {
    INFO(report.error);
    CHECK(report.ok);
    CHECK(report.offset >= 1);
  }
}
