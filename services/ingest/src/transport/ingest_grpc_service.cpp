#include "transport/ingest_grpc_service.h"

#include "adapters/proto_event_codec.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"
#include "transport/publishing_caller.h"

namespace edfleet::ingest {

IngestGrpcService::IngestGrpcService(PublishHandler& handler) : handler_(handler) {}

::grpc::Status IngestGrpcService::Publish(::grpc::ServerContext* context, const v1::PublishRequest* request,
                                          v1::PublishResponse* response) {
  auto caller_tenant = publishing_tenant(edfleet::grpc::verified_caller(*context));
  if (!caller_tenant) return edfleet::grpc::to_status(caller_tenant.error());
  const std::string& tenant = caller_tenant.value();
  const std::string trace_id = handler_.trace_id_or_new(edfleet::grpc::trace_id(*context));
  if (static_cast<std::size_t>(request->events_size()) > handler_.max_batch_events()) {
    // Refuse before decoding anything.
    return edfleet::grpc::to_status(core::Error{
        core::ErrorCode::kTooLarge,
        "A batch holds at most " + std::to_string(handler_.max_batch_events()) + " events; this one has " +
            std::to_string(request->events_size()) + ". Split it into smaller batches.",
        "events"});
  }
  std::vector<DecodedEvent> events;
  events.reserve(request->events_size());
  for (const auto& event : request->events()) events.push_back({to_domain(event), {}});
  auto result = handler_.publish(std::move(events), tenant, trace_id);
  if (!result.ok()) return edfleet::grpc::to_status(result.error());
  *response = std::move(result).value();
  return ::grpc::Status::OK;
}

}  // namespace edfleet::ingest
