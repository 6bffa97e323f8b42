// Mapping between domain errors (core::Error) and gRPC statuses, so transports never improvise codes.
#pragma once

#include <string_view>

#include <grpcpp/support/status.h>

#include "edfleet/core/result.h"

namespace edfleet::grpc {

// The gRPC status code for a domain error code. kConflict (the request contradicts stored state)
// maps to ABORTED, following the gRPC/AIP-193 guidance for concurrency and content conflicts.
::grpc::StatusCode to_status_code(core::ErrorCode code);

// The inverse, for clients that turn a failed call back into a domain error. Codes without a domain
// counterpart (CANCELLED, UNKNOWN, DATA_LOSS, OUT_OF_RANGE...) become kInternal, except OUT_OF_RANGE
// which is an invalid argument.
core::ErrorCode to_error_code(::grpc::StatusCode code);

// A status for `error`; its message is "<field>: <message>" when the error names a field.
::grpc::Status to_status(const core::Error& error);

// A domain error for a failed status (OK maps to kInternal: callers only convert failures).
core::Error to_error(const ::grpc::Status& status);

// The canonical upper-case name of a status code ("OK", "INVALID_ARGUMENT", ...), as metrics and
// access logs label it.
std::string_view status_code_name(::grpc::StatusCode code);

}  // namespace edfleet::grpc
