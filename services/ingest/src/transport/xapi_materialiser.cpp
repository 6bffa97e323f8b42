#include "transport/xapi_materialiser.h"

#include <map>

#include <nlohmann/json.hpp>

#include "domain/xapi/statement_form.h"
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
    row.related_agents = std::move(columns->related_agents);
    row.related_activities = std::move(columns->related_activities);
    row.statement = event.xapi_statement().statement_json();
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

}  // namespace edfleet::ingest
