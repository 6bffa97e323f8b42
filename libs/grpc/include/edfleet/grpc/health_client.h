// A client for grpc.health.v1.Health/Check, for tools and tests that wait for a service to be ready.
// gRPC's C++ packages do not ship the health proto stubs, so the (two-field) messages are encoded
// by hand over a generic stub.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

namespace edfleet::grpc {

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

struct HealthCheckResult {
  ::grpc::Status status;                         // the call's status; NOT_FOUND for an unknown service
  ServingStatus serving = ServingStatus::kUnknown;  // meaningful when status.ok()
  bool serving_ok() const { return status.ok() && serving == ServingStatus::kServing; }
};

// Checks `service` ("" = the server as a whole) with a deadline of `timeout`.
HealthCheckResult check_health(const std::shared_ptr<::grpc::Channel>& channel, std::string_view service = {},
                               std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace edfleet::grpc
