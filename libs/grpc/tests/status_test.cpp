#include "edfleet/grpc/status.h"

#include <catch2/catch.hpp>

using edfleet::core::Error;
using edfleet::core::ErrorCode;
using ::grpc::StatusCode;

TEST_CASE("every domain error code maps to its gRPC code and back") {
  const std::pair<ErrorCode, StatusCode> table[] = {
      {ErrorCode::kInvalidArgument, StatusCode::INVALID_ARGUMENT},
      {ErrorCode::kNotFound, StatusCode::NOT_FOUND},
      {ErrorCode::kAlreadyExists, StatusCode::ALREADY_EXISTS},
      {ErrorCode::kConflict, StatusCode::ABORTED},
      {ErrorCode::kFailedPrecondition, StatusCode::FAILED_PRECONDITION},
      {ErrorCode::kPermissionDenied, StatusCode::PERMISSION_DENIED},
      {ErrorCode::kUnauthenticated, StatusCode::UNAUTHENTICATED},
      {ErrorCode::kResourceExhausted, StatusCode::RESOURCE_EXHAUSTED},
      {ErrorCode::kUnavailable, StatusCode::UNAVAILABLE},
      {ErrorCode::kDeadlineExceeded, StatusCode::DEADLINE_EXCEEDED},
      {ErrorCode::kUnimplemented, StatusCode::UNIMPLEMENTED},
      {ErrorCode::kInternal, StatusCode::INTERNAL},
  };
  for (auto [domain, grpc_code] : table) {
    INFO(edfleet::core::error_code_name(domain));
    CHECK(edfleet::grpc::to_status_code(domain) == grpc_code);
    CHECK(edfleet::grpc::to_error_code(grpc_code) == domain);
  }
  // A size limit is RESOURCE_EXHAUSTED in gRPC too (and 413, not 429, over HTTP: libs/http).
  CHECK(edfleet::grpc::to_status_code(ErrorCode::kTooLarge) == StatusCode::RESOURCE_EXHAUSTED);
}

TEST_CASE("gRPC codes without a domain counterpart map to internal, out of range to invalid") {
  CHECK(edfleet::grpc::to_error_code(StatusCode::UNKNOWN) == ErrorCode::kInternal);
  CHECK(edfleet::grpc::to_error_code(StatusCode::DATA_LOSS) == ErrorCode::kInternal);
  CHECK(edfleet::grpc::to_error_code(StatusCode::CANCELLED) == ErrorCode::kInternal);
  CHECK(edfleet::grpc::to_error_code(StatusCode::OUT_OF_RANGE) == ErrorCode::kInvalidArgument);
}

TEST_CASE("to_status keeps the message and prefixes the field") {
  auto plain = edfleet::grpc::to_status(Error::not_found("no rule r-1"));
  CHECK(plain.error_code() == StatusCode::NOT_FOUND);
  CHECK(plain.error_message() == "no rule r-1");

  auto with_field = edfleet::grpc::to_status(Error::invalid("must be an RFC 3339 time", "events[2].time"));
  CHECK(with_field.error_code() == StatusCode::INVALID_ARGUMENT);
  CHECK(with_field.error_message() == "events[2].time: must be an RFC 3339 time");
}

TEST_CASE("to_error turns a failed status into a domain error") {
  auto error = edfleet::grpc::to_error(::grpc::Status(StatusCode::UNAVAILABLE, "broker down"));
  CHECK(error.code == ErrorCode::kUnavailable);
  CHECK(error.message == "broker down");
}

TEST_CASE("status codes have their canonical names") {
  CHECK(edfleet::grpc::status_code_name(StatusCode::OK) == "OK");
  CHECK(edfleet::grpc::status_code_name(StatusCode::UNIMPLEMENTED) == "UNIMPLEMENTED");
  CHECK(edfleet::grpc::status_code_name(StatusCode::INVALID_ARGUMENT) == "INVALID_ARGUMENT");
  CHECK(edfleet::grpc::status_code_name(StatusCode::UNAUTHENTICATED) == "UNAUTHENTICATED");
}
