#include "rpc.h"

#include <stdexcept>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "edfleet/core/clock.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"
#include "endpoints.h"

namespace edfleet::cli {

std::shared_ptr<::grpc::Channel> open_channel(const std::string& address) {
  ::grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  // Each command is a handful of calls; a fresh connection fails fast instead of retrying.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return ::grpc::CreateCustomChannel(address, ::grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<::grpc::ClientContext> call_context(std::chrono::milliseconds timeout, std::string_view tenant,
                                                    const std::string& endpoints_file) {
  auto secret = internal_auth_secret(endpoints_file);
  if (!secret.ok()) throw std::runtime_error(secret.error().message);
  const identity::IdentitySigner signer(std::move(secret).value(), core::SystemClock::instance(),
                                        std::chrono::seconds(60));
  auto context = std::make_unique<::grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  edfleet::grpc::set_caller(*context, signer, {std::string(tenant), "service:edfleet-cli", ""});
  return context;
}

std::string describe_call_failure(std::string_view service, const ResolvedAddress& address,
                                  const ::grpc::Status& status, std::chrono::milliseconds timeout) {
  const std::string where = std::string(service) + " at " + address.address;
  switch (status.error_code()) {
    case ::grpc::StatusCode::UNAVAILABLE:
      if (address.source.rfind("--", 0) == 0) {
        return std::string(service) + " not reachable at " + address.address + " (" + status.error_message() + ")";
      }
      return std::string(service) + " not reachable at " + address.address + ": is `edfleet up` running?" +
             (address.source == "default port" ? "" : " (address from " + address.source + ")");
    case ::grpc::StatusCode::DEADLINE_EXCEEDED:
      return where + " did not answer within " + std::to_string(timeout.count() / 1000) + " s";
    case ::grpc::StatusCode::UNIMPLEMENTED:
      return where + " does not implement this call (" + status.error_message() + "); is it the right address?";
    default:
      return where + " failed the call: " + std::string(edfleet::grpc::status_code_name(status.error_code())) +
             ": " + status.error_message();
  }
}

}  // namespace edfleet::cli
