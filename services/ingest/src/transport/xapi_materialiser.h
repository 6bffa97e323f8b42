// The materialiser: a consumer of edfleet.events.v1 inside ingest (its own group) that writes the
// LRS's statements (events of type xapi.statement from the xAPI resource) into the statements table in
// batches, with its offsets in the same transaction, and settles them for Consistent-Through. The
// attachment data an event carries goes into xapi_attachments in the same transaction.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "adapters/kafka_topic_positions.h"
#include "adapters/pg_statement_store.h"
#include "domain/xapi/consistency.h"
#include "edfleet/core/clock.h"
#include "edfleet/kafka/consumer.h"

namespace edfleet::ingest {

class XapiMaterialiser final : public kafka::BatchHandler {
 public:
  // `source`: the events' source written by the Statements resource (other xapi.statement events,
  // e.g. forwarded through POST /v1/events, are not LRS statements and are skipped).
  XapiMaterialiser(PgStatementStore& store, xapi::ConsistencyTracker& consistency, std::string source);

  void handle(std::span<const kafka::ConsumedMessage> batch) override;
  std::optional<int64_t> stored_offset(const std::string& topic, int32_t partition) override;

 private:
  PgStatementStore& store_;
  xapi::ConsistencyTracker& consistency_;
  std::string source_;
};

struct ConsistencyWatchSettings {
  std::chrono::milliseconds poll{20};        // between looks at the stored offsets while catching up
  std::chrono::milliseconds interval{200};   // between rounds once caught up (or after a failure)
  std::chrono::milliseconds save_every{1000};  // how often the watermark is persisted (migration 0006)
};

// Keeps Consistent-Through from claiming what another process published (before a restart, or another
// replica) and the materialiser has not written yet. Each round notes the time `as_of`, reads the
// events topic's ends, and waits until the materialiser's offsets in Postgres (shared by every replica,
// whichever owns a partition; the group's committed offset for a partition with no stored one) reach
// them: then every record on the topic at `as_of` is readable, and the tracker is told so
// (ConsistencyTracker::caught_up). The first round releases the start-up hold; after a caught-up
// round the watermark is persisted as the next start-up's floor.
class XapiConsistencyWatcher {
 public:
  XapiConsistencyWatcher(KafkaTopicPositions& positions, PgStatementStore& store, xapi::ConsistencyTracker& tracker,
                         const core::Clock& clock, ConsistencyWatchSettings settings = {});

  // Rounds until stop(); failures (Kafka or Postgres not answering) are logged and retried.
  void run();
  void stop();
  // One round: true once caught up with the ends read at its start, false if stopped first. Throws
  // when Kafka or Postgres fails.
  bool round();

 private:
  bool caught_up_with(const std::map<std::int32_t, KafkaTopicPositions::Range>& ends);
  bool wait(std::chrono::milliseconds how_long);  // false when stopped

  KafkaTopicPositions& positions_;
  PgStatementStore& store_;
  xapi::ConsistencyTracker& tracker_;
  const core::Clock& clock_;
  ConsistencyWatchSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point last_save_{};
};

}  // namespace edfleet::ingest
