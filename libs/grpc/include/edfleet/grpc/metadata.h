// The gRPC metadata edfleet services exchange: who the caller is (set by the gateway after it has
// authenticated the request) and the W3C trace context that ties a request's logs together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

namespace edfleet::grpc {

// Internal metadata keys. Services behind the gateway trust them; the gateway strips them from
// external requests and sets them from the authenticated API key.
inline constexpr std::string_view kTenantKey = "x-edfleet-tenant";
inline constexpr std::string_view kPrincipalKey = "x-edfleet-principal";
inline constexpr std::string_view kRolesKey = "x-edfleet-roles";  // comma-separated
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

// Adds the caller identity and trace context to an outgoing call (what the gateway and internal
// clients do). Empty values are not sent.
void set_caller(::grpc::ClientContext& context, std::string_view tenant, std::string_view principal = {},
                std::string_view roles = {});
void set_traceparent(::grpc::ClientContext& context, std::string_view traceparent);

}  // namespace edfleet::grpc
