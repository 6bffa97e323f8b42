// gRPC transport: edfleet.ingest.v1.IngestService. The caller's tenant comes from the
// x-edfleet-tenant metadata (set by the gateway); the trace id from traceparent.
#pragma once

#include "edfleet/ingest/v1/ingest.grpc.pb.h"
#include "transport/publish_handler.h"

namespace edfleet::ingest {

class IngestGrpcService final : public v1::IngestService::Service {
 public:
  explicit IngestGrpcService(PublishHandler& handler);

  // OK with one result per event (rejections, including REJECT_REASON_UNAVAILABLE, are per event);
  // RESOURCE_EXHAUSTED for more than the batch limit; INVALID_ARGUMENT for a malformed tenant header.
  ::grpc::Status Publish(::grpc::ServerContext* context, const v1::PublishRequest* request,
                         v1::PublishResponse* response) override;

 private:
  PublishHandler& handler_;
};

}  // namespace edfleet::ingest
