// Backtest: runs rules over recorded events with a clock driven by event time, in fresh engines
// whose actions are only collected (nothing is published). Repartitioned rules run in a second
// engine that sees every event in one partition, as the repartitioned stage would.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "domain/engine.h"

namespace edfleet::rules {

class Backtest {
 public:
  // Actions fired in [from, to] are kept; events from `from` minus the rules' longest window or
  // duration are evaluated so windows are warm at `from`.
  Backtest(std::vector<std::shared_ptr<const CompiledRule>> rules, EngineOptions options, core::Timestamp from,
           core::Timestamp to);
  // Events of other tenants or outside the range are skipped (and not counted as scanned).
  void add(std::int32_t partition, const Event& event);
  // Moves every partition to `to` (firing due timers) and returns the actions, ordered by time.
  std::vector<Action> finish();
  std::uint64_t scanned() const { return scanned_; }

 private:
  core::ManualClock clock_;
  Engine engine_;
  Engine grouped_;
  std::shared_ptr<const RuleSet> grouped_rules_;
  std::string tenant_;
  std::int64_t from_us_ = 0;
  std::int64_t warm_from_us_ = 0;
  std::int64_t to_us_ = 0;
  std::uint64_t scanned_ = 0;
  std::vector<Action> actions_;
};

}  // namespace edfleet::rules
