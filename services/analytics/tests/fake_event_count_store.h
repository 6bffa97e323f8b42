// An in-memory EventCountStore for unit tests, with the same transactional contract as Postgres:
// a batch's claims, counts and offsets become visible together on commit(), or not at all.
#pragma once

#include <algorithm>
#include <map>
#include <set>

#include "ports/event_count_store.h"

namespace edfleet::analytics::testing {

class FakeEventCountStore final : public EventCountStore {
 public:
  struct State {
    std::set<EventKey> processed;
    std::map<DayTypeKey, std::int64_t> event_counts;
    std::map<LearnerKey, LearnerCounters> learners;
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
  };

  std::unique_ptr<CountBatch> begin_batch() override {
    if (unavailable) throw StoreUnavailable("fake store is down");
    return std::make_unique<Batch>(*this);
  }

  std::optional<std::int64_t> stored_offset(const std::string& topic, std::int32_t partition) override {
    auto it = state.offsets.find({topic, partition});
    if (it == state.offsets.end()) return std::nullopt;
    return it->second;
  }

  std::vector<EventCountRow> event_counts(std::string_view tenant, std::string_view from_day,
                                          std::string_view to_day,
                                          std::span<const std::string> types) override {
    if (unavailable) throw StoreUnavailable("fake store is down");
    std::vector<EventCountRow> rows;
    for (const auto& [key, count] : state.event_counts) {
      if (key.tenant != tenant || key.day < from_day || key.day > to_day) continue;
      if (!types.empty() && std::find(types.begin(), types.end(), key.type) == types.end()) continue;
      rows.push_back({key.day, key.type, count});
    }
    return rows;
  }

  std::optional<LearnerCounters> learner_counters(std::string_view tenant,
                                                  std::string_view learner_id) override {
    if (unavailable) throw StoreUnavailable("fake store is down");
    auto it = state.learners.find({std::string(tenant), std::string(learner_id)});
    if (it == state.learners.end()) return std::nullopt;
    return it->second;
  }

  State state;
  bool unavailable = false;
  bool fail_commit = false;  // commit() throws StoreUnavailable and applies nothing
  int commits = 0;

 private:
  class Batch final : public CountBatch {
   public:
    explicit Batch(FakeEventCountStore& store) : store_(store), pending_(store.state) {}
    std::vector<bool> claim(std::span<const EventKey> events) override {
      std::vector<bool> fresh;
      for (const auto& key : events) fresh.push_back(pending_.processed.insert(key).second);
      return fresh;
    }
    void add(const CountDeltas& deltas) override {
      for (const auto& [key, count] : deltas.event_counts) pending_.event_counts[key] += count;
      for (const auto& [key, counters] : deltas.learners) pending_.learners[key].merge(counters);
    }
    void store_offsets(std::span<const PartitionOffset> offsets) override {
      for (const auto& o : offsets) {
        auto& stored = pending_.offsets[{o.topic, o.partition}];
        stored = std::max(stored, o.next_offset);
      }
    }
    void commit() override {
      if (store_.fail_commit) throw StoreUnavailable("fake commit failed");
      store_.state = pending_;
      ++store_.commits;
    }

   private:
    FakeEventCountStore& store_;
    State pending_;
  };
};

}  // namespace edfleet::analytics::testing
