// The ceiling: librdkafka's C API used directly, with the settings ingest's producer uses
// (enable.idempotence=true, acks=all, linger.ms=2), producing exactly the records ingest writes,
// and a plain consumer reading them back. Nothing of libs/kafka is in the measured path.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edfleet/kafka/message.h"

struct rd_kafka_s;

namespace edfleet::bench {

class RawProducer {
 public:
  RawProducer(const std::string& bootstrap_servers, const std::string& client_id);
  ~RawProducer();   // flushes (up to 30 s)
  RawProducer(const RawProducer&) = delete;
  RawProducer& operator=(const RawProducer&) = delete;

  // Pipelined: queues every record (waiting for room when librdkafka's queue is full) and returns
  // when all are acknowledged. Returns the rate in records/s (first produce -> last ack); throws
  // when any record failed.
  double produce_all(const std::vector<kafka::OutgoingMessage>& records);

  // Ingest's pattern: `threads` producers each queue a batch of `batch` records and wait for all
  // of its acknowledgements before the next. Returns records/s.
  double produce_batches(const std::vector<kafka::OutgoingMessage>& records, std::size_t batch, int threads);

  // Queues one record; `done` (may be empty) runs on the poll thread with its outcome.
  void produce(const kafka::OutgoingMessage& record, std::function<void(bool ok)> done = {});
  // Waits until every queued record has its report.
  void wait_all();

  std::uint64_t failed() const { return failed_.load(); }

 private:
  struct Pending;
  static void on_delivery(rd_kafka_s*, const void* message, void* opaque);
  void poll_loop();

  rd_kafka_s* rk_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread poller_;
  // Counters are atomics and the poll thread only takes the mutex when someone waits, so the
  // bookkeeping costs the measured path next to nothing.
  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<int> waiters_{0};
  std::mutex mutex_;
  std::condition_variable reported_;
  std::string first_error_;      // guarded by mutex_
};

struct ConsumeResult {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  double rate = 0;   // records/s, first record -> last
};

// Reads every partition of `topic` from its earliest retained offset to its end (assign, no group
// join) and measures the rate.
ConsumeResult raw_consume_all(const std::string& bootstrap_servers, const std::string& topic);

}  // namespace edfleet::bench
