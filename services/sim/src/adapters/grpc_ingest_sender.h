// EventSender over gRPC: IngestService.Publish, one call per batch, with a deadline.
#pragma once

#include "edfleet/identity/caller_identity.h"

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "edfleet/ingest/v1/ingest.grpc.pb.h"
#include "ports/event_sender.h"

namespace edfleet::sim {

// A channel to ingest at host:port. Workers share it (gRPC multiplexes their calls).
std::shared_ptr<::grpc::Channel> open_ingest_channel(const std::string& address);

// True once the channel is connected, false when it cannot connect within `timeout`.
bool wait_for_ingest(::grpc::Channel& channel, std::chrono::milliseconds timeout);

class GrpcIngestSender final : public EventSender {
 public:
  // `signer` signs the simulator's caller identity (the fleet's internal_auth secret): ingest takes
  // events only from callers it can verify.
  GrpcIngestSender(std::shared_ptr<::grpc::Channel> channel, std::chrono::milliseconds timeout,
                   identity::IdentitySigner signer);
  SendResult send(const std::vector<events::v1::Event>& events, const std::string& tenant) override;

 private:
  std::unique_ptr<ingest::v1::IngestService::Stub> stub_;
  std::chrono::milliseconds timeout_;
  identity::IdentitySigner signer_;
};

// PublishResponse -> the simulator's per-event results (reason names without "REJECT_REASON_").
SendResult to_send_result(const ingest::v1::PublishResponse& response);

}  // namespace edfleet::sim
