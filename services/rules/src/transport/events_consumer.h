// EventsConsumer: runs the engine on edfleet.events.v1 (a kafka::BatchHandler) plus a ticker for
// quiet partitions, and keeps the rule set fresh from the repository.
//
// Per batch: every record is evaluated, the actions are published (and acknowledged), then the
// state of every partition touched is checkpointed with the next offsets in ONE Postgres
// transaction. A failure anywhere restores the partitions from their last checkpoint and rethrows,
// so the loop's retry re-evaluates the batch from the same state: the same actions (same ids)
// again. Publication is therefore at-least-once with exactly-once identity: consumers dedupe by
// action id. On assignment (stored_offset) the partition is loaded (claiming a new fencing epoch)
// and consumption resumes at its stored offset; a previous owner's next checkpoint is refused.
//
// Two stages (README "Repartitioning"). The events stage (edfleet.events.v1) runs the rules whose
// events are partitioned by their group key, and forwards each event that a repartitioned rule may
// concern to the repartition topic, once per group field, keyed by the group value; the forwarded
// records are acknowledged before the checkpoint, like the actions. The repartitioned stage reads
// that topic and runs the repartitioned rules; it skips records it already has (a retried batch of
// the events stage is forwarded again) by the position of each source partition, checkpointed with
// its state and offsets in the same transaction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "domain/engine.h"
#include "edfleet/core/clock.h"
#include "edfleet/kafka/consumer.h"
#include "ports/action_publisher.h"
#include "ports/repartition_publisher.h"
#include "ports/rule_repository.h"
#include "ports/state_store.h"

namespace prometheus {
class Registry;
class Counter;
class Histogram;
class Gauge;
}  // namespace prometheus

namespace edfleet::rules {

struct RunnerOptions {
  std::string topic = "edfleet.events.v1";
  std::chrono::milliseconds tick{250};          // ticker period
  std::chrono::milliseconds idle_timeout{1000}; // a partition quiet this long follows the wall clock
  int sweep_every_ticks = 40;                   // evict expired entries / empty keys
  std::chrono::milliseconds refresh{1000};      // how often rule changes are looked for
  // kPartitioned: the events stage (forwards to `forward` when given); kRepartitioned: reads the
  // repartition topic; kAll: every rule on the events topic, no forwarding (single-stage tests).
  RuleStage stage = RuleStage::kPartitioned;
  std::string metric_stage;                     // label stage="<this>" on the metrics ("" = none)
};

// Compiles the stored rules (all tenants) into a RuleSet; rules that no longer compile are skipped
// with an error log.
std::shared_ptr<const RuleSet> build_rule_set(const std::vector<StoredRule>& rules, const TimeZoneCheck& zones,
                                              RuleStage stage = RuleStage::kAll);

class EventsConsumer final : public kafka::BatchHandler {
 public:
  EventsConsumer(Engine& engine, StateStore& store, ActionPublisher& publisher, RuleRepository& repository,
                 TimeZoneCheck zones, RunnerOptions options, const core::Clock& clock,
                 prometheus::Registry* registry, RepartitionPublisher* forward = nullptr);

  void handle(std::span<const kafka::ConsumedMessage> batch) override;
  std::optional<std::int64_t> stored_offset(const std::string& topic, std::int32_t partition) override;

  // Loads the rules now (start-up) and whenever the repository's revision moves.
  void refresh_rules();
  // One ticker step: quiet partitions follow the clock, timers fire, state is checkpointed.
  void tick();
  // The ticker/refresher loop for ServiceHost::add_background.
  void run();
  void stop();

  std::int64_t rules_revision() const { return revision_.load(); }

 private:
  void reload(std::int32_t partition);
  // Another instance owns `partition` now: forget it; `others` (same failed checkpoint) reload.
  void drop_fenced(std::int32_t partition, std::set<std::int32_t>& others);
  void commit(std::vector<Action>& actions, const std::vector<RepartitionRecord>& forwarded,
              const std::map<std::int32_t, std::int64_t>& next_offsets, const std::set<std::int32_t>& partitions);
  // Evaluates one record (events stage: and collects what to forward; repartitioned stage: unless it is
  // a duplicate).
  void evaluate(std::size_t index, const kafka::ConsumedMessage& m, std::vector<Action>& actions,
                std::vector<RepartitionRecord>& forwarded);

  Engine& engine_;
  StateStore& store_;
  ActionPublisher& publisher_;
  RuleRepository& repository_;
  TimeZoneCheck zones_;
  RunnerOptions options_;
  const core::Clock& clock_;
  RepartitionPublisher* forward_;
  std::mutex mutex_;  // the engine and the bookkeeping below
  std::shared_ptr<const RuleSet> repartitioned_;  // events stage: the rules it forwards events for
  std::map<std::int32_t, std::int64_t> epochs_;                                  // owned partitions
  std::map<std::int32_t, std::chrono::steady_clock::time_point> last_activity_;
  std::set<std::int32_t> stale_;                                                 // to reload before use
  std::atomic<std::int64_t> revision_{-1};
  std::uint64_t ticks_ = 0;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  prometheus::Counter* events_ = nullptr;
  prometheus::Counter* actions_ = nullptr;
  prometheus::Counter* late_ = nullptr;
  prometheus::Histogram* batch_seconds_ = nullptr;
  prometheus::Histogram* latency_ = nullptr;
  prometheus::Gauge* keys_ = nullptr;
  prometheus::Gauge* rules_ = nullptr;
};

}  // namespace edfleet::rules
