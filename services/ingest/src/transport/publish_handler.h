// The transport-neutral part of handling a Publish request, shared by gRPC and HTTP: runs the use
// case on the events that could be decoded, merges in the ones that could not (HTTP elements that are
// not valid events), counts metrics, logs one line per batch and builds the PublishResponse.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/publish_batch.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/result.h"
#include "edfleet/ingest/v1/ingest.pb.h"
#include "transport/ingest_metrics.h"

namespace edfleet::ingest {

// One request event: decoded, or already rejected by the transport.
struct DecodedEvent {
  std::optional<EventEnvelope> event;
  EventOutcome rejected;  // used when !event
};

class PublishHandler {
 public:
  PublishHandler(PublishBatch& use_case, IngestMetrics& metrics, core::IdGenerator& ids);

  // `trace_id` is the request's (from traceparent); empty = a new one is generated here.
  core::Result<v1::PublishResponse> publish(std::vector<DecodedEvent> events, const std::string& caller_tenant,
                                            std::string trace_id);

  // The request's trace id: `from_header` when it is one, else a new one.
  std::string trace_id_or_new(const std::string& from_header);

  std::size_t max_batch_events() const { return use_case_.settings().max_batch_events; }

 private:
  PublishBatch& use_case_;
  IngestMetrics& metrics_;
  core::IdGenerator& ids_;
};

v1::RejectReason to_proto(RejectReason reason);

}  // namespace edfleet::ingest
