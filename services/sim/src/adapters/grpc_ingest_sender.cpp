#include "adapters/grpc_ingest_sender.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"

namespace edfleet::sim {

std::shared_ptr<::grpc::Channel> open_ingest_channel(const std::string& address) {
  ::grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  args.SetMaxSendMessageSize(64 * 1024 * 1024);
  // A load generator reports failures; it must not hide them behind transparent retries.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return ::grpc::CreateCustomChannel(address, ::grpc::InsecureChannelCredentials(), args);
}

bool wait_for_ingest(::grpc::Channel& channel, std::chrono::milliseconds timeout) {
  return channel.WaitForConnected(std::chrono::system_clock::now() + timeout);
}

GrpcIngestSender::GrpcIngestSender(std::shared_ptr<::grpc::Channel> channel, std::chrono::milliseconds timeout,
                                   identity::IdentitySigner signer)
    : stub_(ingest::v1::IngestService::NewStub(std::move(channel))), timeout_(timeout), signer_(std::move(signer)) {}

SendResult to_send_result(const ingest::v1::PublishResponse& response) {
  SendResult out;
  out.results.reserve(static_cast<std::size_t>(response.results_size()));
  for (const auto& r : response.results()) {
    EventResult result{r.accepted(), r.duplicate(), {}, r.field(), r.message()};
    if (!r.accepted()) {
      result.reason = ingest::v1::RejectReason_Name(r.reason());
      constexpr std::string_view kPrefix = "REJECT_REASON_";
      if (result.reason.starts_with(kPrefix)) result.reason.erase(0, kPrefix.size());
    }
    out.results.push_back(std::move(result));
  }
  return out;
}

SendResult GrpcIngestSender::send(const std::vector<events::v1::Event>& events, const std::string& tenant) {
  ingest::v1::PublishRequest request;
  request.mutable_events()->Reserve(static_cast<int>(events.size()));
  for (const auto& event : events) *request.add_events() = event;
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout_);
  // Without a tenant, an internal service publishing for the tenants its events name.
  edfleet::grpc::set_caller(context, signer_, {tenant, std::string(kSimPrincipal), ""});
  ingest::v1::PublishResponse response;
  const auto status = stub_->Publish(&context, request, &response);
  if (!status.ok()) {
    return {false, std::string(edfleet::grpc::status_code_name(status.error_code())) + ": " + status.error_message(), {}};
  }
  return to_send_result(response);
}

}  // namespace edfleet::sim
