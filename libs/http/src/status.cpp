#include "edfleet/http/status.h"

namespace edfleet::http {

int http_status(core::ErrorCode code) {
  switch (code) {
    case core::ErrorCode::kInvalidArgument: return 400;
    case core::ErrorCode::kUnauthenticated: return 401;
    case core::ErrorCode::kPermissionDenied: return 403;
    case core::ErrorCode::kNotFound: return 404;
    case core::ErrorCode::kConflict:
    case core::ErrorCode::kAlreadyExists: return 409;
    case core::ErrorCode::kFailedPrecondition: return 412;
    case core::ErrorCode::kTooLarge: return 413;
    case core::ErrorCode::kResourceExhausted: return 429;
    case core::ErrorCode::kUnimplemented: return 501;
    case core::ErrorCode::kUnavailable: return 503;
    case core::ErrorCode::kDeadlineExceeded: return 504;
    case core::ErrorCode::kInternal: return 500;
  }
  return 500;
}

}  // namespace edfleet::http
