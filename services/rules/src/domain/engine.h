// The rules engine: evaluates compiled rules over a stream of events, keeping per-key state
// (window entries, absence timers, pending sequences, cooldowns, once-markers) per Kafka partition.
// Pure C++ with an injected clock; not thread-safe (the transport serialises calls).
//
// Time: each partition has a watermark = min(latest event time, clock) - allowed lateness, moved
// forward also by advance() (wall clock when the partition is quiet). Events older than the
// watermark are late: they still trigger stateless rules but no longer change state. Absence,
// "not followed by" and schedule timers fire when the watermark passes them.
//
// Persistence: every state change marks its (rule, key) dirty; take_checkpoint() hands the dirty
// rows (serialized) and the partition's meta (watermark, schedules) to the caller, who stores
// them atomically with the consumed offsets; restore_partition() loads them back.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "domain/action.h"
#include "domain/event.h"
#include "domain/plan.h"
#include "domain/time_zone.h"
#include "edfleet/core/clock.h"

namespace edfleet::rules {

// An immutable, indexed set of compiled rules (all tenants). Dispatch: tenant -> event type ->
// rules, with an equality index (`where field == "value"`) so an event only reaches rules that
// can match it.
class RuleSet {
 public:
  explicit RuleSet(std::vector<std::shared_ptr<const CompiledRule>> rules = {});
  const std::vector<std::shared_ptr<const CompiledRule>>& rules() const { return rules_; }
  // Indexes (into rules()) of the rules `event` may concern, without duplicates.
  void candidates(const Event& event, std::vector<std::uint32_t>& out) const;
  // The group keys (`by` fields) of the candidate rules for which `event` has a value, as
  // (canonical path, value) ordered by path, without duplicates: where the events stage forwards the
  // event for the repartitioned rules.
  std::vector<std::pair<std::string, std::string>> group_keys(const Event& event) const;

 private:
  struct ByType {
    std::vector<std::uint32_t> always;
    std::vector<std::pair<FieldId, std::unordered_map<std::string, std::vector<std::uint32_t>>>> indexed;
  };
  std::vector<std::shared_ptr<const CompiledRule>> rules_;
  std::unordered_map<std::string, std::unordered_map<std::string, ByType>> by_tenant_;
};

struct Id128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  static Id128 of(std::string_view id);  // a UUID's 128 bits (other text: a hash of it)
  std::string str() const;               // canonical lowercase UUID text
  friend bool operator==(const Id128&, const Id128&) = default;
  friend auto operator<=>(const Id128&, const Id128&) = default;
};

struct EngineOptions {
  std::int64_t allowed_lateness_us = 5'000'000;
  std::size_t max_window_entries = 10'000;   // per key and aggregate; older entries are dropped
  int partitions = 12;                       // of the events topic: tenant-wide schedules fire in one
  // The zone of a tenant (`every` without `in "..."`) and named zones. Default: UTC.
  std::function<const TimeZone*(const std::string& tenant)> tenant_zone;
  std::function<const TimeZone*(const std::string& name)> zone;
};

// One stored row of per-key state. `blob` empty + deleted = remove the row.
struct StateRow {
  std::string rule;   // a rule version's uid, or "once:<tenant>/<rule id>" for once-markers
  std::string key;
  std::string blob;
  bool deleted = false;
};

struct PartitionSnapshot {
  std::string meta;                 // watermark, latest event time, schedule positions
  std::vector<StateRow> rows;
};

struct EngineStats {
  std::uint64_t events = 0;
  std::uint64_t late_events = 0;
  std::uint64_t actions = 0;
  std::uint64_t suppressed = 0;     // by once / cooldown / once-per-window
  std::uint64_t dropped_entries = 0;
  std::size_t keys = 0;
  std::size_t timers = 0;
};

class Engine {
 public:
  Engine(EngineOptions options, const core::Clock& clock);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Swaps the rule set; state of rule versions present in both is kept, state of versions that
  // disappeared is dropped (and deleted at the next checkpoint).
  void set_rules(std::shared_ptr<const RuleSet> rules);
  const RuleSet& rules() const { return *rules_; }

  void open_partition(std::int32_t partition);   // empty state (no-op if open)
  void restore_partition(std::int32_t partition, const PartitionSnapshot& snapshot);
  void close_partition(std::int32_t partition);
  bool has_partition(std::int32_t partition) const;
  std::vector<std::int32_t> partitions() const;

  // Evaluates `event` (read from `partition`), appending the actions it fires (timers that its
  // time made due first). With `group`, only the rules grouped by that field see it (the
  // repartitioned stage: one record per event and group field).
  void process(std::int32_t partition, const Event& event, std::vector<Action>& out,
               std::optional<FieldId> group = std::nullopt);
  // Repartitioned input: whether the record at (source partition, source offset, group path) is new
  // to `partition`, i.e. after the last one accepted from that source partition (the events stage
  // forwards in that order, and re-forwards a batch it retries from its start). Remembered (and
  // checkpointed with the partition's meta) when accepted; a duplicate must be skipped.
  bool accept_source(std::int32_t partition, std::int32_t source_partition, std::int64_t source_offset,
                     std::string_view group);
  // Moves the partition's watermark to at least `watermark` and fires what became due.
  void advance(std::int32_t partition, core::Timestamp watermark, std::vector<Action>& out);
  // advance() to clock.now() - allowed lateness (for quiet partitions).
  void advance_to_clock(std::int32_t partition, std::vector<Action>& out);
  core::Timestamp watermark(std::int32_t partition) const;

  // The dirty rows since the last call, plus meta.
  PartitionSnapshot take_checkpoint(std::int32_t partition);
  bool dirty(std::int32_t partition) const;
  // Drops expired entries and empty keys of every rule (bounded memory for keys that went quiet).
  std::size_t sweep(std::int32_t partition);

  EngineStats stats() const;
  const EngineOptions& options() const { return options_; }

 private:
  struct Partition;
  struct Runtime;
  struct KeyState;
  Partition& part(std::int32_t partition);
  void adopt_rules(Partition& p);
  void fire_due(Partition& p, std::vector<Action>& out);
  void on_event(Partition& p, Runtime& rt, const Event& event, const Id128& id, bool late,
                std::vector<Action>& out);
  void run_schedule(Partition& p, Runtime& rt, std::int64_t at, std::vector<Action>& out);
  bool fire(Partition& p, Runtime& rt, const std::string& key, KeyState* ks, const Event* event, std::int64_t at,
            const std::string& discriminator, std::vector<std::string> extra_ids, const std::string& why,
            std::vector<Action>& out);
  KeyState& key_state(Partition& p, Runtime& rt, const std::string& key);
  void mark(Partition& p, Runtime& rt, const std::string& key, KeyState& ks);
  const TimeZone& zone_of(const CompiledRule& rule) const;

  EngineOptions options_;
  const core::Clock& clock_;
  std::shared_ptr<const RuleSet> rules_;
  std::map<std::int32_t, std::unique_ptr<Partition>> partitions_;
  EngineStats stats_;
  std::vector<std::uint32_t> scratch_;
};

}  // namespace edfleet::rules
