// The gRPC metadata edfleet services exchange: who the caller is (set by the gateway after it has
// authenticated the request) and the W3C trace context that ties a request's logs together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include "edfleet/core/result.h"
#include "edfleet/identity/caller_identity.h"

namespace edfleet::grpc {

// Internal metadata keys (defined in libs/identity). The gateway strips them from external requests
// and sets them, signed, from the authenticated caller; services believe them only with a valid
// signature (the server's identity interceptor removes them otherwise).
inline constexpr std::string_view kTenantKey = identity::kTenantKey;
inline constexpr std::string_view kPrincipalKey = identity::kPrincipalKey;
inline constexpr std::string_view kRolesKey = identity::kRolesKey;  // comma-separated
inline constexpr std::string_view kSignatureKey = identity::kSignatureKey;
// Set by the server's identity interceptor when it removed a claimed identity: why.
inline constexpr std::string_view kIdentityRejectedKey = "x-edfleet-identity-rejected";
// W3C Trace Context header, "00-<trace id>-<parent span id>-<flags>".
inline constexpr std::string_view kTraceparentKey = "traceparent";

// The first value the client sent for `key` (lowercase), or "" when absent.
std::string metadata_value(const ::grpc::ServerContextBase& context, std::string_view key);

// A parsed W3C traceparent (https://www.w3.org/TR/trace-context/#traceparent-header).
struct TraceParent {
  std::string version;    // 2 hex digits, "00" today
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string parent_id;  // 16 lowercase hex digits, not all zero
  std::uint8_t flags = 0; // bit 0 = sampled
  bool sampled() const { return (flags & 0x01) != 0; }
};

// Parses a traceparent value; nullopt when it is malformed (per the spec, a receiver then starts a
// new trace). Accepts future versions' longer values as the spec asks, rejects version "ff".
std::optional<TraceParent> parse_traceparent(std::string_view value);

// Formats a version-00 traceparent.
std::string format_traceparent(std::string_view trace_id, std::string_view parent_id, bool sampled = true);

// The trace id of the caller's traceparent, or "" when absent or malformed.
std::string trace_id(const ::grpc::ServerContextBase& context);

// The caller identity the server's identity interceptor let through: nullopt when the call claims
// none, UNAUTHENTICATED (saying why) when it claimed one that was refused.
core::Result<std::optional<identity::CallerIdentity>> verified_caller(const ::grpc::ServerContextBase& context);

// The caller's tenant, as verified by the server's identity interceptor: UNAUTHENTICATED when the
// call claims none, or claimed one the interceptor refused (the message says why).
core::Result<std::string> caller_tenant(const ::grpc::ServerContextBase& context);

// Adds the caller identity, signed by `signer`, to an outgoing call (what the gateway and internal
// clients do). Empty fields are not sent; an empty identity sends nothing.
void set_caller(::grpc::ClientContext& context, const identity::IdentitySigner& signer,
                const identity::CallerIdentity& caller);
void set_traceparent(::grpc::ClientContext& context, std::string_view traceparent);

}  // namespace edfleet::grpc
