// Which HTTP request headers a gRPC-Web call forwards to the upstream as gRPC metadata.
//
// The gateway is the trust boundary: internal metadata (x-edfleet-*) is only ever set by the
// gateway from the authenticated caller, so a client-sent copy is dropped, never forwarded.
// Hop-by-hop and transport headers, credentials, browser and CORS headers and gRPC's reserved
// grpc-* keys are dropped too; traceparent is handled separately (validated or replaced).
#pragma once

#include <string_view>

namespace edfleet::gateway {

// True for an internal key ("x-edfleet-" prefix, any case).
bool is_internal_header(std::string_view name);

// True when a client header named `name` (any case) may be forwarded as metadata: a valid gRPC
// metadata key ([0-9a-z-_.], case-folded) that is not internal, hop-by-hop, a credential, a
// browser/CORS header, reserved (grpc-*, :pseudo) or one the gateway sets itself.
bool is_forwardable_header(std::string_view name);

// gRPC metadata keys: non-empty, [0-9a-z-_.] after lower-casing.
bool is_valid_metadata_key(std::string_view name);
// ASCII metadata values: printable ASCII (0x20..0x7E). "-bin" keys carry base64 instead.
bool is_valid_ascii_metadata_value(std::string_view value);

}  // namespace edfleet::gateway
