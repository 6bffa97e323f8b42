// The HTTP side of the fleet's error codes: one mapping, so that a limit reads the same wherever it
// is hit (a rate limit is 429 at the gateway and at ingest; a size limit is 413).
#pragma once

#include "edfleet/core/result.h"

namespace edfleet::http {

// 400 invalid argument, 401 unauthenticated, 403 permission denied, 404 not found, 409 conflict or
// already exists, 412 failed precondition, 413 too large, 429 resource exhausted, 501
// unimplemented, 503 unavailable, 504 deadline exceeded, 500 otherwise.
int http_status(core::ErrorCode code);

}  // namespace edfleet::http
