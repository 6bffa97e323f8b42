// The materialiser: a consumer of edfleet.events.v1 inside ingest (its own group) that writes the
// LRS's statements (events of type xapi.statement from the xAPI resource) into the statements table in
// batches, with its offsets in the same transaction, and settles them for Consistent-Through. The
// attachment data an event carries goes into xapi_attachments in the same transaction.
#pragma once

#include <string>

#include "adapters/pg_statement_store.h"
#include "domain/xapi/consistency.h"
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

}  // namespace edfleet::ingest
