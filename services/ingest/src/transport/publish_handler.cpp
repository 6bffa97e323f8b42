#include "transport/publish_handler.h"

#include "edfleet/core/log.h"

namespace edfleet::ingest {

v1::RejectReason to_proto(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNone: return v1::REJECT_REASON_UNSPECIFIED;
    case RejectReason::kMissingField: return v1::REJECT_REASON_MISSING_FIELD;
    case RejectReason::kInvalidField: return v1::REJECT_REASON_INVALID_FIELD;
    case RejectReason::kUnknownType: return v1::REJECT_REASON_UNKNOWN_TYPE;
    case RejectReason::kPayloadMismatch: return v1::REJECT_REASON_PAYLOAD_MISMATCH;
    case RejectReason::kTooLarge: return v1::REJECT_REASON_TOO_LARGE;
    case RejectReason::kTenantMismatch: return v1::REJECT_REASON_TENANT_MISMATCH;
    case RejectReason::kIdReused: return v1::REJECT_REASON_ID_REUSED;
    case RejectReason::kSequenceConflict: return v1::REJECT_REASON_SEQUENCE_CONFLICT;
    case RejectReason::kUnavailable: return v1::REJECT_REASON_UNAVAILABLE;
  }
  return v1::REJECT_REASON_UNSPECIFIED;
}

PublishHandler::PublishHandler(PublishBatch& use_case, IngestMetrics& metrics, core::IdGenerator& ids)
    : use_case_(use_case), metrics_(metrics), ids_(ids) {}

std::string PublishHandler::trace_id_or_new(const std::string& from_header) {
  return core::is_trace_id(from_header) ? from_header : ids_.trace_id();
}

core::Result<v1::PublishResponse> PublishHandler::publish(std::vector<DecodedEvent> events,
                                                          const std::string& caller_tenant, std::string trace_id) {
  if (trace_id.empty()) trace_id = ids_.trace_id();
  core::log::TraceScope trace_scope(trace_id);
  const std::size_t max = max_batch_events();
  if (events.size() > max) {
    return core::Error{core::ErrorCode::kTooLarge,
                       "A batch holds at most " + std::to_string(max) + " events; this one has " +
                           std::to_string(events.size()) + ". Split it into smaller batches.",
                       "events"};
  }

  std::vector<EventEnvelope> decoded;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].event) {
      positions.push_back(i);
      decoded.push_back(std::move(*events[i].event));
    }
  }
  auto result = use_case_.execute(std::move(decoded), {caller_tenant, trace_id});
  if (!result.ok()) return result.error();

  std::vector<EventOutcome> outcomes(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!events[i].event) outcomes[i] = std::move(events[i].rejected);
  }
  for (std::size_t k = 0; k < positions.size(); ++k) outcomes[positions[k]] = std::move(result->outcomes[k]);
  metrics_.record(outcomes);
  if (result->sequence_gaps > 0) metrics_.sequence_gaps(result->sequence_gaps);

  v1::PublishResponse response;
  std::size_t duplicates = 0, unavailable = 0;
  for (const auto& outcome : outcomes) {
    auto* r = response.add_results();
    r->set_id(outcome.id);
    r->set_accepted(outcome.accepted);
    r->set_duplicate(outcome.duplicate);
    r->set_reason(to_proto(outcome.reason));
    r->set_field(outcome.field);
    r->set_message(outcome.message);
    if (outcome.accepted) {
      response.set_accepted(response.accepted() + 1);
      duplicates += outcome.duplicate ? 1 : 0;
    } else {
      response.set_rejected(response.rejected() + 1);
      unavailable += outcome.reason == RejectReason::kUnavailable ? 1 : 0;
    }
  }
  nlohmann::json fields = {{"tenant", caller_tenant},       {"events", outcomes.size()},
                           {"accepted", response.accepted()}, {"duplicates", duplicates},
                           {"rejected", response.rejected()}, {"unavailable", unavailable},
                           {"published", result->published}};
  for (const auto& outcome : outcomes) {
    // The first rejection says what is typically wrong with a producer's batch.
    if (!outcome.accepted && outcome.reason != RejectReason::kUnavailable) {
      fields["first_rejection"] = {{"id", outcome.id},
                                   {"reason", reject_reason_name(outcome.reason)},
                                   {"field", outcome.field}};
      break;
    }
  }
  if (unavailable > 0) {
    core::log::warn("published batch; some events were not acknowledged", fields);
  } else {
    core::log::info("published batch", fields);
  }
  return response;
}

}  // namespace edfleet::ingest
