#include "raw_kafka.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "edfleet/bench/bench.h"
#include "edfleet/contracts/topics.h"

namespace edfleet::bench {
namespace {

using Clock = std::chrono::steady_clock;

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("librdkafka ") + key + ": " + error);
  }
}

}  // namespace

struct RawProducer::Pending {
  RawProducer* owner;
  std::function<void(bool)> done;
};

RawProducer::RawProducer(const std::string& bootstrap_servers, const std::string& client_id) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap_servers);
  set(conf, "client.id", client_id);
  // What ingest sets (ingest.kafka_linger 0 ms; libs/kafka otherwise); the rest at librdkafka defaults.
  set(conf, "enable.idempotence", "true");
  set(conf, "acks", "all");
  set(conf, "linger.ms", "0");
  set(conf, "delivery.timeout.ms", "30000");
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque) {
    on_delivery(rk, message, opaque);
  });
  rd_kafka_conf_set_opaque(conf, this);
  char error[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("librdkafka producer: ") + error);
  }
  poller_ = std::thread([this] { poll_loop(); });
}

RawProducer::~RawProducer() {
  rd_kafka_flush(rk_, 30000);
  stop_ = true;
  poller_.join();
  rd_kafka_destroy(rk_);
}

void RawProducer::poll_loop() {
  while (!stop_) rd_kafka_poll(rk_, 50);
}

void RawProducer::on_delivery(rd_kafka_s*, const void* raw, void* opaque) {
  const auto* message = static_cast<const rd_kafka_message_t*>(raw);
  auto* self = static_cast<RawProducer*>(opaque);
  std::unique_ptr<Pending> pending(static_cast<Pending*>(message->_private));
  const bool ok = message->err == RD_KAFKA_RESP_ERR_NO_ERROR;
  if (pending && pending->done) pending->done(ok);
  if (!ok) {
    std::lock_guard lock(self->mutex_);
    if (self->first_error_.empty()) self->first_error_ = rd_kafka_err2str(message->err);
    ++self->failed_;
  }
  ++self->done_;
  if (self->waiters_.load() > 0) {
    std::lock_guard lock(self->mutex_);
    self->reported_.notify_all();
  }
}

void RawProducer::produce(const kafka::OutgoingMessage& record, std::function<void(bool ok)> done) {
  auto* pending = done ? new Pending{this, std::move(done)} : nullptr;
  ++queued_;
  for (;;) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(record.headers.size());
    for (const auto& [name, value] : record.headers) {
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    }
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(record.topic.c_str()),
        RD_KAFKA_V_KEY(const_cast<char*>(record.key.data()), record.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(pending),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    rd_kafka_headers_destroy(headers);   // ownership passes only on success
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      delete pending;
      throw std::runtime_error(std::string("librdkafka produce: ") + rd_kafka_err2str(err));
    }
    // Queue full: wait for acknowledgements to make room, as libs/kafka's Producer does.
    ++waiters_;
    {
      std::unique_lock lock(mutex_);
      reported_.wait_for(lock, std::chrono::milliseconds(1));
    }
    --waiters_;
  }
}

void RawProducer::wait_all() {
  ++waiters_;
  {
    std::unique_lock lock(mutex_);
    while (done_.load() < queued_.load()) reported_.wait_for(lock, std::chrono::milliseconds(1));
  }
  --waiters_;
}

double RawProducer::produce_all(const std::vector<kafka::OutgoingMessage>& records) {
  const auto failed_before = failed_.load();
  const auto started = Clock::now();
  for (const auto& record : records) produce(record);
  wait_all();
  const double seconds = elapsed_ms(started) / 1000.0;
  if (failed_.load() != failed_before) {
    std::lock_guard lock(mutex_);
    throw std::runtime_error("raw produce: " + std::to_string(failed_.load() - failed_before) +
                             " records failed: " + first_error_);
  }
  return static_cast<double>(records.size()) / seconds;
}

double RawProducer::produce_batches(const std::vector<kafka::OutgoingMessage>& records, std::size_t batch,
                                    int threads) {
  const auto failed_before = failed_.load();
  std::atomic<std::size_t> next{0};
  const auto started = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      std::mutex m;
      std::condition_variable cv;
      for (;;) {
        const std::size_t from = next.fetch_add(batch);
        if (from >= records.size()) return;
        const std::size_t to = std::min(records.size(), from + batch);
        std::size_t remaining = to - from;
        for (std::size_t i = from; i < to; ++i) {
          produce(records[i], [&](bool) {
            std::lock_guard lock(m);
            if (--remaining == 0) cv.notify_one();
          });
        }
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return remaining == 0; });
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds = elapsed_ms(started) / 1000.0;
  if (failed_.load() != failed_before) throw std::runtime_error("raw produce (batches): records failed");
  return static_cast<double>(records.size()) / seconds;
}

ConsumeResult raw_consume_all(const std::string& bootstrap_servers, const std::string& topic) {
  static std::atomic<int> group{0};
  const contracts::TopicSpec* spec = contracts::find_topic(topic);
  if (spec == nullptr) throw std::runtime_error("raw consume: unknown topic " + topic);

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap_servers);
  set(conf, "group.id", "edfleet-bench-raw-" + std::to_string(++group));
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.partition.eof", "true");
  set(conf, "auto.offset.reset", "earliest");
  set(conf, "fetch.wait.max.ms", "10");   // as analytics: the mock broker waits it out on an idle partition
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("librdkafka consumer: ") + error);
  }
  rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(spec->partitions);
  for (int p = 0; p < spec->partitions; ++p) {
    rd_kafka_topic_partition_list_add(partitions, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, partitions);
  rd_kafka_topic_partition_list_destroy(partitions);

  ConsumeResult result;
  std::vector<bool> at_end(static_cast<std::size_t>(spec->partitions), false);
  int ends = 0;
  Clock::time_point first{}, last{};
  const auto deadline = Clock::now() + std::chrono::minutes(2);
  while (ends < spec->partitions && Clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      const auto p = static_cast<std::size_t>(message->partition);
      if (!at_end[p]) ++ends;
      at_end[p] = true;
    } else if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      last = Clock::now();
      if (result.records == 0) first = last;
      ++result.records;
      result.bytes += message->len;
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (ends < spec->partitions) throw std::runtime_error("raw consume: did not reach the end of " + topic);
  // The rate over the records after the first (the interval the clock covers).
  const double seconds = elapsed_ms(first, last) / 1000.0;
  result.rate = result.records > 1 && seconds > 0 ? static_cast<double>(result.records - 1) / seconds : 0;
  return result;
}

}  // namespace edfleet::bench
