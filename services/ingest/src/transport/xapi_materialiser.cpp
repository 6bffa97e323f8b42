#include "transport/xapi_materialiser.h"

#include <map>

#include <nlohmann/json.hpp>

#include "domain/xapi/statement_form.h"
#include "edfleet/core/log.h"
#include "edfleet/events/v1/event.pb.h"

namespace edfleet::ingest {

XapiMaterialiser::XapiMaterialiser(PgStatementStore& store, xapi::ConsistencyTracker& consistency, std::string source)
    : store_(store), consistency_(consistency), source_(std::move(source)) {}

void XapiMaterialiser::handle(std::span<const kafka::ConsumedMessage> batch) {
  std::vector<StatementRow> rows;
  std::vector<AttachmentRow> attachments;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& message = batch[i];
    auto& position = next[{message.topic, message.partition}];
    position = std::max(position, message.offset + 1);
    // Cheap filter on the CloudEvents header before parsing the record.
    if (message.header("ce_type").value_or("") != "xapi.statement") continue;
    events::v1::Event event;
    if (!event.ParseFromString(message.value)) throw kafka::PoisonMessage(i, "not an edfleet.events.v1.Event");
    if (event.type() != "xapi.statement" || event.source() != source_) continue;
    const auto statement = nlohmann::json::parse(event.xapi_statement().statement_json(), nullptr, false);
    auto columns = xapi::columns_of(statement);
    if (!columns) throw kafka::PoisonMessage(i, "not an LRS statement: " + columns.error().message);
    StatementRow row;
    row.tenant = event.tenant();
    row.statement_id = columns->statement_id;
    row.stored = columns->stored;
    row.actor_key = columns->actor_key;
    row.object_agent_key = columns->object_agent_key;
    row.verb_id = columns->verb_id;
    row.activity_id = columns->activity_id;
    row.registration = columns->registration;
    row.voids = columns->voids;
    row.statement_ref = columns->statement_ref;
    row.related_agents = std::move(columns->related_agents);
    row.related_activities = std::move(columns->related_activities);
    row.statement = std::move(*event.mutable_xapi_statement()->mutable_statement_json());  // parsed above; not needed again
    rows.push_back(std::move(row));
    for (const auto& a : event.xapi_statement().attachments()) {
      attachments.push_back({event.tenant(), a.sha2(), a.content_type(), a.content()});
    }
  }
  std::vector<PartitionPosition> offsets;
  for (const auto& [key, offset] : next) offsets.push_back({key.first, key.second, offset});
  store_.write(rows, offsets, attachments);  // throws on failure: the loop retries the batch
  for (const auto& row : rows) consistency_.settled(EventKey{row.tenant, row.statement_id});
}

std::optional<int64_t> XapiMaterialiser::stored_offset(const std::string& topic, int32_t partition) {
  return store_.stored_offset(topic, partition);
}

XapiConsistencyWatcher::XapiConsistencyWatcher(KafkaTopicPositions& positions, PgStatementStore& store,
                                               xapi::ConsistencyTracker& tracker, const core::Clock& clock,
                                               ConsistencyWatchSettings settings)
    : positions_(positions), store_(store), tracker_(tracker), clock_(clock), settings_(settings) {}

void XapiConsistencyWatcher::run() {
  const auto started = std::chrono::steady_clock::now();
  bool released = !tracker_.held();
  while (true) {
    try {
      if (!round()) return;
      if (!released) {
        released = true;
        const auto took = std::chrono::steady_clock::now() - started;
        core::log::info("xAPI Consistent-Through: the materialiser caught up with the events topic",
                        {{"after_ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count()}});
      }
    } catch (const std::exception& e) {
      core::log::warn("xAPI Consistent-Through: checking the materialiser's progress failed; retrying",
                      {{"error", e.what()}});
    }
    if (!wait(settings_.interval)) return;
  }
}

void XapiConsistencyWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  wake_.notify_all();
}

bool XapiConsistencyWatcher::round() {
  // The time first, then the ends: every record acknowledged before `as_of` is below them.
  const core::Timestamp as_of = clock_.now();
  const auto ends = positions_.ends();
  while (!caught_up_with(ends)) {
    if (!wait(settings_.poll)) return false;
  }
  tracker_.caught_up(as_of);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_save_ >= settings_.save_every) {
    store_.save_consistent_through(tracker_.consistent_through());
    last_save_ = now;
  }
  return true;
}

bool XapiConsistencyWatcher::caught_up_with(const std::map<std::int32_t, KafkaTopicPositions::Range>& ends) {
  const auto stored = store_.stored_offsets(positions_.topic());
  std::map<std::int32_t, std::int64_t> at;
  std::vector<std::int32_t> unknown;
  for (const auto& [partition, range] : ends) {
    if (range.high <= range.low) continue;  // nothing there to read
    if (const auto it = stored.find(partition); it != stored.end()) {
      at[partition] = std::max(it->second, range.low);
    } else {
      unknown.push_back(partition);
    }
  }
  // No stored offset: the materialiser starts at the group's committed offset (ConsumerLoop).
  if (!unknown.empty()) {
    const auto committed = positions_.committed(unknown);
    for (const auto partition : unknown) {
      const auto it = committed.find(partition);
      at[partition] = std::max(it == committed.end() ? 0 : it->second, ends.at(partition).low);
    }
  }
  for (const auto& [partition, offset] : at) {
    if (offset < ends.at(partition).high) return false;
  }
  return true;
}

bool XapiConsistencyWatcher::wait(std::chrono::milliseconds how_long) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, how_long, [this] { return stopped_; });
  return !stopped_;
}

}  // namespace edfleet::ingest
