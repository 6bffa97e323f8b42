#include "transport/events_consumer.h"

#include <charconv>
#include <future>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "adapters/kafka_action_publisher.h"
#include "edfleet/core/log.h"
#include "transport/proto_mapping.h"

namespace edfleet::rules {

std::shared_ptr<const RuleSet> build_rule_set(const std::vector<StoredRule>& rules, const TimeZoneCheck& zones,
                                              RuleStage stage) {
  std::vector<std::shared_ptr<const CompiledRule>> compiled;
  for (const auto& r : rules) {
    auto result = compile_text(r.source, r.tenant, r.version, zones);
    if (!result.ok() || result.rules.size() != 1) {
      core::log::error("stored rule does not compile; skipped",
                       {{"tenant", r.tenant}, {"rule", r.id}, {"version", r.version},
                        {"error", result.errors.empty() ? "not exactly one rule" : format_diagnostic(result.errors[0])}});
      continue;
    }
    if (in_stage(*result.rules[0], stage)) compiled.push_back(result.rules[0]);
  }
  return std::make_shared<RuleSet>(std::move(compiled));
}

EventsConsumer::EventsConsumer(Engine& engine, StateStore& store, ActionPublisher& publisher,
                               RuleRepository& repository, TimeZoneCheck zones, RunnerOptions options,
                               const core::Clock& clock, prometheus::Registry* registry,
                               RepartitionPublisher* forward)
    : engine_(engine), store_(store), publisher_(publisher), repository_(repository), zones_(std::move(zones)),
      options_(std::move(options)), clock_(clock), forward_(forward) {
  if (registry == nullptr) return;
  // The repartitioned stage's series carry stage="..." in the same families.
  std::map<std::string, std::string> labels;
  if (!options_.metric_stage.empty()) labels["stage"] = options_.metric_stage;
  events_ = &prometheus::BuildCounter().Name("edfleet_rules_events_total").Help("Events evaluated").Register(*registry).Add(labels);
  actions_ = &prometheus::BuildCounter().Name("edfleet_rules_actions_total").Help("Actions published (re-publications after a retry included)").Register(*registry).Add(labels);
  late_ = &prometheus::BuildCounter().Name("edfleet_rules_late_events_total").Help("Events behind the watermark (not added to windows)").Register(*registry).Add(labels);
  batch_seconds_ = &prometheus::BuildHistogram().Name("edfleet_rules_batch_seconds").Help("Evaluate + publish + checkpoint of one batch").Register(*registry)
                        .Add(labels, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});
  latency_ = &prometheus::BuildHistogram().Name("edfleet_rules_event_to_action_seconds").Help("Triggering record's Kafka timestamp to its action acknowledged").Register(*registry)
                  .Add(labels, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
  keys_ = &prometheus::BuildGauge().Name("edfleet_rules_keys").Help("Keys with state in memory").Register(*registry).Add(labels);
  rules_ = &prometheus::BuildGauge().Name("edfleet_rules_active_rules").Help("Enabled rules loaded").Register(*registry).Add(labels);
}

void EventsConsumer::refresh_rules() {
  const auto current = repository_.revision();
  if (current == revision_.load()) return;
  std::int64_t revision = 0;
  auto stored = repository_.active(revision);
  auto set = build_rule_set(stored, zones_, options_.stage);
  std::shared_ptr<const RuleSet> forwarded;
  if (options_.stage == RuleStage::kPartitioned && forward_ != nullptr) {
    forwarded = build_rule_set(stored, zones_, RuleStage::kRepartitioned);
  }
  {
    std::lock_guard lock(mutex_);
    engine_.set_rules(set);
    repartitioned_ = forwarded;
  }
  revision_.store(revision);
  if (rules_ != nullptr) rules_->Set(static_cast<double>(set->rules().size()));
  core::log::info("rules loaded", {{"rules", set->rules().size()}, {"revision", revision}});
}

void EventsConsumer::reload(std::int32_t partition) {
  auto loaded = store_.load(options_.topic, partition);
  engine_.restore_partition(partition, loaded.snapshot);
  epochs_[partition] = loaded.epoch;
  stale_.erase(partition);
}

std::optional<std::int64_t> EventsConsumer::stored_offset(const std::string& topic, std::int32_t partition) {
  if (topic != options_.topic) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto loaded = store_.load(options_.topic, partition);
  engine_.restore_partition(partition, loaded.snapshot);
  epochs_[partition] = loaded.epoch;
  stale_.erase(partition);
  last_activity_[partition] = clock_.steady_now();
  core::log::info("partition state loaded", {{"partition", partition}, {"epoch", loaded.epoch},
                                             {"rows", loaded.snapshot.rows.size()},
                                             {"next_offset", loaded.next_offset ? *loaded.next_offset : -1}});
  return loaded.next_offset;
}

void EventsConsumer::drop_fenced(std::int32_t partition, std::set<std::int32_t>& others) {
  core::log::warn("partition taken over by another instance; dropping its state", {{"partition", partition}});
  engine_.close_partition(partition);
  epochs_.erase(partition);
  others.erase(partition);
  for (std::int32_t p : others) stale_.insert(p);  // their checkpoint was rolled back with it
}

void EventsConsumer::commit(std::vector<Action>& actions, const std::vector<RepartitionRecord>& forwarded,
                            const std::map<std::int32_t, std::int64_t>& next_offsets,
                            const std::set<std::int32_t>& partitions) {
  // The forwarded records and the actions are acknowledged concurrently: one round trip, not two.
  std::future<void> forwarding;
  if (!forwarded.empty()) forwarding = std::async(std::launch::async, [&] { forward_->publish(forwarded); });
  publisher_.publish(actions);
  if (forwarding.valid()) forwarding.get();
  std::vector<PartitionCheckpoint> checkpoints;
  for (std::int32_t p : partitions) {
    PartitionCheckpoint cp;
    cp.partition = p;
    cp.epoch = epochs_.at(p);
    if (auto it = next_offsets.find(p); it != next_offsets.end()) cp.next_offset = it->second;
    cp.snapshot = engine_.take_checkpoint(p);
    checkpoints.push_back(std::move(cp));
  }
  store_.save(options_.topic, checkpoints);
}

namespace {
std::optional<std::int64_t> header_number(const kafka::ConsumedMessage& m, std::string_view name) {
  auto text = m.header(name);
  if (!text) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return v;
}
}  // namespace

void EventsConsumer::evaluate(std::size_t index, const kafka::ConsumedMessage& m, std::vector<Action>& actions,
                              std::vector<RepartitionRecord>& forwarded) {
  if (options_.stage == RuleStage::kRepartitioned) {
    const auto group = m.header(kGroupHeader);
    const auto source_partition = header_number(m, kSourcePartitionHeader);
    const auto source_offset = header_number(m, kSourceOffsetHeader);
    if (!group || group->empty() || !source_partition || !source_offset) {
      throw kafka::PoisonMessage(index, "not a repartitioned event: the headers " + std::string(kGroupHeader) + ", " +
                                            std::string(kSourcePartitionHeader) + " and " +
                                            std::string(kSourceOffsetHeader) + " are required");
    }
    auto event = parse_event(m.value);
    if (!event) throw kafka::PoisonMessage(index, event.error().message);
    if (!engine_.accept_source(m.partition, static_cast<std::int32_t>(*source_partition), *source_offset, *group)) {
      return;  // forwarded again by a retried batch of the events stage
    }
    engine_.process(m.partition, *event, actions, field_id(*group));
    return;
  }
  auto event = parse_event(m.value);
  if (!event) throw kafka::PoisonMessage(index, event.error().message);
  engine_.process(m.partition, *event, actions);
  if (repartitioned_ == nullptr || repartitioned_->rules().empty()) return;
  for (auto& [group, value] : repartitioned_->group_keys(*event)) {
    forwarded.push_back({event->tenant + "/" + value, group, m.partition, m.offset, m.value});
  }
}

void EventsConsumer::handle(std::span<const kafka::ConsumedMessage> batch) {
  std::lock_guard lock(mutex_);
  const auto started = clock_.steady_now();
  for (auto it = stale_.begin(); it != stale_.end();) {
    const std::int32_t p = *it++;
    reload(p);  // throws while Postgres is down: the loop retries
  }
  std::map<std::int32_t, std::int64_t> next_offsets;
  std::set<std::int32_t> touched;
  std::vector<Action> actions;
  std::vector<RepartitionRecord> forwarded;
  std::vector<std::pair<std::size_t, std::int64_t>> action_sources;  // first action index, record timestamp
  const auto late_before = engine_.stats().late_events;
  try {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& m = batch[i];
      if (!epochs_.contains(m.partition)) {
        throw std::runtime_error("partition " + std::to_string(m.partition) + " is not loaded (revoked?)");
      }
      touched.insert(m.partition);
      const std::size_t before = actions.size();
      evaluate(i, m, actions, forwarded);
      if (actions.size() > before) action_sources.emplace_back(before, m.timestamp_ms);
      next_offsets[m.partition] = m.offset + 1;
      last_activity_[m.partition] = started;
    }
    commit(actions, forwarded, next_offsets, touched);
  } catch (const PartitionFenced& fenced) {
    drop_fenced(fenced.partition, touched);
    throw;
  } catch (...) {
    for (std::int32_t p : touched) stale_.insert(p);  // back to the last checkpoint before the retry
    throw;
  }
  if (events_ != nullptr) {
    events_->Increment(static_cast<double>(batch.size()));
    actions_->Increment(static_cast<double>(actions.size()));
    late_->Increment(static_cast<double>(engine_.stats().late_events - late_before));
    batch_seconds_->Observe(std::chrono::duration<double>(clock_.steady_now() - started).count());
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
    for (std::size_t k = 0; k < action_sources.size(); ++k) {
      const std::size_t end = k + 1 < action_sources.size() ? action_sources[k + 1].first : actions.size();
      if (action_sources[k].second <= 0) continue;
      for (std::size_t a = action_sources[k].first; a < end; ++a) {
        latency_->Observe(static_cast<double>(now_ms - action_sources[k].second) / 1000.0);
      }
    }
  }
}

void EventsConsumer::tick() {
  std::lock_guard lock(mutex_);
  const auto now = clock_.steady_now();
  std::vector<Action> actions;
  std::set<std::int32_t> dirty;
  ++ticks_;
  for (auto it = stale_.begin(); it != stale_.end();) {
    const std::int32_t p = *it++;
    try {
      reload(p);
    } catch (const std::exception& e) {
      core::log::warn("could not reload a partition's state yet", {{"partition", p}, {"error", e.what()}});
    }
  }
  for (const auto& [p, epoch] : epochs_) {
    if (stale_.contains(p)) continue;
    auto last = last_activity_.find(p);
    if (last == last_activity_.end() || now - last->second >= options_.idle_timeout) {
      engine_.advance_to_clock(p, actions);
    }
    if (options_.sweep_every_ticks > 0 && ticks_ % static_cast<std::uint64_t>(options_.sweep_every_ticks) == 0) {
      engine_.sweep(p);
    }
    if (engine_.dirty(p)) dirty.insert(p);
  }
  if (dirty.empty()) return;
  try {
    commit(actions, {}, {}, dirty);
    if (actions_ != nullptr) actions_->Increment(static_cast<double>(actions.size()));
  } catch (const PartitionFenced& fenced) {
    drop_fenced(fenced.partition, dirty);
  } catch (const std::exception& e) {
    core::log::error("timer checkpoint failed; will retry", {{"error", e.what()}});
    for (std::int32_t p : dirty) stale_.insert(p);
  }
  if (keys_ != nullptr) keys_->Set(static_cast<double>(engine_.stats().keys));
}

void EventsConsumer::run() {
  auto next_refresh = clock_.steady_now();
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      if (clock_.steady_now() >= next_refresh) {
        refresh_rules();
        next_refresh = clock_.steady_now() + options_.refresh;
      }
      tick();
    } catch (const std::exception& e) {
      core::log::error("rules ticker failed; retrying", {{"error", e.what()}});
    }
    lock.lock();
    stop_cv_.wait_for(lock, options_.tick, [this] { return stopping_; });
  }
}

void EventsConsumer::stop() {
  std::lock_guard lock(stop_mutex_);
  stopping_ = true;
  stop_cv_.notify_all();
}

}  // namespace edfleet::rules
