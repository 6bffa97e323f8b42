// A consumer-group loop with at-least-once delivery: it hands batches to a BatchHandler, commits
// after the handler made them durable, retries transient failures, and dead-letters poison records.
#pragma once

#include <chrono>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "edfleet/kafka/message.h"

namespace prometheus {
class Registry;
}

namespace edfleet::kafka {

class Producer;

// Headers added to a dead-lettered record, after its original headers.
inline constexpr std::string_view kErrorHeader = "x-edfleet-error";
inline constexpr std::string_view kOriginalTopicHeader = "x-edfleet-original-topic";
inline constexpr std::string_view kOriginalPartitionHeader = "x-edfleet-original-partition";
inline constexpr std::string_view kOriginalOffsetHeader = "x-edfleet-original-offset";
inline constexpr std::string_view kConsumerGroupHeader = "x-edfleet-consumer-group";
inline constexpr std::string_view kAttemptsHeader = "x-edfleet-attempts";

struct ConsumerConfig {
  std::string bootstrap_servers;
  std::string group_id;
  std::vector<std::string> topics;
  std::string client_id = "edfleet";
  std::size_t max_batch = 500;
  std::chrono::milliseconds max_batch_wait{20};  // how long a started batch waits to fill up
  int max_attempts = 3;                          // attempts of a poison record before the DLQ
  std::chrono::milliseconds retry_backoff{100};  // first backoff; transient failures double it
  std::chrono::milliseconds session_timeout{6000};
  // How long a fetch waits for data (fetch.wait.max.ms). librdkafka's 500 ms default puts up to half
  // a second on every event at low rates; 10 ms keeps event -> effect latency low (measured by the
  // analytics helper: every event counted within 100 ms at 10k events/s).
  std::chrono::milliseconds fetch_wait_max{10};
  std::map<std::string, std::string> extra;  // raw librdkafka properties, applied last
  prometheus::Registry* registry = nullptr;  // edfleet_kafka_consumed_total{group,topic}, ...
  // Called whenever records this group never handled may be gone: a partition restarted at its
  // earliest offset because the position was out of range (retention, a recreated topic). On the
  // loop's or librdkafka's thread; it must be quick and thread-safe. Whoever vouches for having
  // seen everything (the xAPI Consistent-Through) must stop vouching.
  std::function<void()> on_records_lost;
};

// Thrown by a BatchHandler for the record at `index` of the batch it was given, when that record can
// never be processed (malformed, violates the contract). `what()` is the reason.
struct PoisonMessage : std::runtime_error {
  PoisonMessage(std::size_t index_in_batch, std::string reason);
  std::size_t index;
};

// What a ConsumerLoop calls; implemented by each service's topic consumer.
class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  // Make the effect of `batch` durable and idempotent, then return. Messages of one partition are in
  // offset order. Throw PoisonMessage for a message that can never be processed: it is retried up to
  // max_attempts, then produced to <topic>.dlq (original key/value/headers + x-edfleet-error,
  // x-edfleet-original-topic/partition/offset) and the batch is handled again without it.
  // Throw anything else for a transient failure (e.g. database down): the batch is retried with
  // backoff without limit (the partition does not advance, nothing goes to the DLQ).
  virtual void handle(std::span<const ConsumedMessage> batch) = 0;
  // On assignment: the next offset to read if the handler stores offsets itself (exactly-once in
  // its own DB), or nullopt to use the group's committed offset. A stored offset outside the
  // partition's records is not used: see ConsumerLoop.
  virtual std::optional<int64_t> stored_offset(const std::string& /*topic*/, int32_t /*partition*/) {
    return std::nullopt;
  }
};

// Runs one group member on the calling thread (run()); stop() from any thread ends it.
// Guarantees: a record is committed only after handle() returned for a batch containing it (or it
// was dead-lettered); records of one partition reach the handler in offset order; a handled record
// is not delivered again by this loop unless its partition is revoked and re-assigned (rebalance or
// restart) before the commit succeeded — so effects must be idempotent. Commits that fail during a
// rebalance are logged and skipped. An offset found out of range (e.g. lost to retention) restarts
// the partition at its earliest offset and is logged as an error and counted, never skipped silently.
// That includes a handler's stored offset beyond the partition's end (the topic or the cluster was
// recreated while the handler's database kept its offsets): checked on assignment against the
// watermarks, and against the end noted when the loop was created unless this loop or the group
// (committed offset) has gone past that end since.
class ConsumerLoop {
 public:
  // Creates the librdkafka consumer; throws std::runtime_error on bad config. `handler` and
  // `dlq_producer` must outlive the loop. Notes the end of each partition of `topics` (best effort,
  // bounded by a few seconds when the cluster does not answer); create the loop before the service
  // reports ready.
  ConsumerLoop(ConsumerConfig config, BatchHandler& handler, Producer& dlq_producer);
  ~ConsumerLoop();  // call after run() returned (or if it never ran)
  ConsumerLoop(const ConsumerLoop&) = delete;
  ConsumerLoop& operator=(const ConsumerLoop&) = delete;

  // Subscribes and blocks until stop(); commits offsets after each handled batch; offset-out-of-range
  // and errors are logged loudly and counted in metrics. Leaves the group before returning.
  void run();
  // Thread-safe; run() returns after finishing the current batch and committing. A batch still
  // failing transiently is abandoned uncommitted (it is redelivered later).
  void stop();
  // True while this member holds an assignment from the group (tests wait on it); false again after
  // a revocation until the next assignment.
  bool assigned() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edfleet::kafka
