// Small helpers shared by the gRPC client commands: channels to a fleet service and the wording of
// call failures ("ingest not reachable at 127.0.0.1:7101: is `edfleet up` running?").
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include "endpoints.h"

namespace edfleet::cli {

std::shared_ptr<::grpc::Channel> open_channel(const std::string& address);

// A context with a deadline and the tool's caller identity, signed like the gateway signs (with the
// fleet's internal_auth secret, from $EDFLEET_INTERNAL_AUTH_SECRET or the endpoints file): tenant
// `tenant`, principal "service:edfleet-cli" (no tenant: an internal service publishing events for
// the tenants they name). Throws std::runtime_error saying how to get a secret when there is none.
std::unique_ptr<::grpc::ClientContext> call_context(std::chrono::milliseconds timeout, std::string_view tenant,
                                                    const std::string& endpoints_file);

// One sentence explaining a failed call to `service` at `address`.
std::string describe_call_failure(std::string_view service, const ResolvedAddress& address,
                                  const ::grpc::Status& status, std::chrono::milliseconds timeout);

}  // namespace edfleet::cli
