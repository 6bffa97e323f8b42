#include "edfleet/grpc/status.h"

namespace edfleet::grpc {

using core::ErrorCode;
using ::grpc::StatusCode;

StatusCode to_status_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return StatusCode::INVALID_ARGUMENT;
    case ErrorCode::kNotFound: return StatusCode::NOT_FOUND;
    case ErrorCode::kAlreadyExists: return StatusCode::ALREADY_EXISTS;
    case ErrorCode::kConflict: return StatusCode::ABORTED;
    case ErrorCode::kFailedPrecondition: return StatusCode::FAILED_PRECONDITION;
    case ErrorCode::kPermissionDenied: return StatusCode::PERMISSION_DENIED;
    case ErrorCode::kUnauthenticated: return StatusCode::UNAUTHENTICATED;
    case ErrorCode::kResourceExhausted:
    case ErrorCode::kTooLarge: return StatusCode::RESOURCE_EXHAUSTED;
    case ErrorCode::kUnavailable: return StatusCode::UNAVAILABLE;
    case ErrorCode::kDeadlineExceeded: return StatusCode::DEADLINE_EXCEEDED;
    case ErrorCode::kUnimplemented: return StatusCode::UNIMPLEMENTED;
    case ErrorCode::kInternal: return StatusCode::INTERNAL;
  }
  return StatusCode::INTERNAL;
}

ErrorCode to_error_code(StatusCode code) {
  switch (code) {
    case StatusCode::INVALID_ARGUMENT:
    case StatusCode::OUT_OF_RANGE: return ErrorCode::kInvalidArgument;
    case StatusCode::NOT_FOUND: return ErrorCode::kNotFound;
    case StatusCode::ALREADY_EXISTS: return ErrorCode::kAlreadyExists;
    case StatusCode::ABORTED: return ErrorCode::kConflict;
    case StatusCode::FAILED_PRECONDITION: return ErrorCode::kFailedPrecondition;
    case StatusCode::PERMISSION_DENIED: return ErrorCode::kPermissionDenied;
    case StatusCode::UNAUTHENTICATED: return ErrorCode::kUnauthenticated;
    case StatusCode::RESOURCE_EXHAUSTED: return ErrorCode::kResourceExhausted;
    case StatusCode::UNAVAILABLE: return ErrorCode::kUnavailable;
    case StatusCode::DEADLINE_EXCEEDED: return ErrorCode::kDeadlineExceeded;
    case StatusCode::UNIMPLEMENTED: return ErrorCode::kUnimplemented;
    default: return ErrorCode::kInternal;
  }
}

::grpc::Status to_status(const core::Error& error) {
  std::string message = error.field.empty() ? error.message : error.field + ": " + error.message;
  return ::grpc::Status(to_status_code(error.code), std::move(message));
}

core::Error to_error(const ::grpc::Status& status) {
  return core::Error{to_error_code(status.error_code()), status.error_message(), {}};
}

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::OK: return "OK";
    case StatusCode::CANCELLED: return "CANCELLED";
    case StatusCode::UNKNOWN: return "UNKNOWN";
    case StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case StatusCode::NOT_FOUND: return "NOT_FOUND";
    case StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case StatusCode::ABORTED: return "ABORTED";
    case StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case StatusCode::INTERNAL: return "INTERNAL";
    case StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case StatusCode::DATA_LOSS: return "DATA_LOSS";
    case StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

}  // namespace edfleet::grpc
