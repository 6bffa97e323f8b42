#include "domain/backtest.h"

#include <algorithm>

namespace edfleet::rules {

Backtest::Backtest(std::vector<std::shared_ptr<const CompiledRule>> rules, EngineOptions options, core::Timestamp from,
                   core::Timestamp to)
    : clock_(from), engine_(options, clock_), grouped_(options, clock_) {
  from_us_ = from.time_since_epoch().count();
  to_us_ = to.time_since_epoch().count();
  std::int64_t longest = 0;
  for (const auto& r : rules) {
    tenant_ = r->tenant;
    for (const auto& a : r->aggs) longest = std::max(longest, a.window_us);
    for (const auto& a : r->absences) longest = std::max(longest, a.within_us);
    for (const auto& s : r->sequences) longest = std::max(longest, s.within_us);
    longest = std::max(longest, r->cooldown_us);
  }
  warm_from_us_ = from_us_ - longest;
  std::vector<std::shared_ptr<const CompiledRule>> partitioned, repartitioned;
  for (auto& r : rules) (r->repartitioned ? repartitioned : partitioned).push_back(std::move(r));
  engine_.set_rules(std::make_shared<RuleSet>(std::move(partitioned)));
  grouped_rules_ = std::make_shared<RuleSet>(std::move(repartitioned));
  grouped_.set_rules(grouped_rules_);
}

void Backtest::add(std::int32_t partition, const Event& event) {
  const auto t = event.occurred_at.time_since_epoch().count();
  if (event.tenant != tenant_ || t < warm_from_us_ || t > to_us_) return;
  ++scanned_;
  if (clock_.now() < event.occurred_at) clock_.set(event.occurred_at);
  engine_.process(partition, event, actions_);
  for (const auto& [path, value] : grouped_rules_->group_keys(event)) {
    grouped_.process(0, event, actions_, field_id(path));
  }
}

std::vector<Action> Backtest::finish() {
  clock_.set(core::Timestamp{std::chrono::microseconds{to_us_}});
  for (auto p : engine_.partitions()) engine_.advance(p, clock_.now(), actions_);
  for (auto p : grouped_.partitions()) grouped_.advance(p, clock_.now(), actions_);
  std::vector<Action> out;
  for (auto& a : actions_) {
    const auto t = a.fired_at.time_since_epoch().count();
    if (t >= from_us_ && t <= to_us_) out.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(), [](const Action& a, const Action& b) { return a.fired_at < b.fired_at; });
  actions_.clear();
  return out;
}

}  // namespace edfleet::rules
