#include "edfleet/grpc/metadata.h"

#include <algorithm>

#include "edfleet/core/ids.h"

namespace edfleet::grpc {
namespace {

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

}  // namespace

std::string metadata_value(const ::grpc::ServerContextBase& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(::grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return std::string(it->second.data(), it->second.size());
}

std::optional<TraceParent> parse_traceparent(std::string_view value) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  constexpr std::size_t kLength = 55;
  if (value.size() < kLength) return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  std::string_view version = value.substr(0, 2);
  std::string_view trace = value.substr(3, 32);
  std::string_view parent = value.substr(36, 16);
  std::string_view flags = value.substr(53, 2);
  if (!is_lower_hex(version) || version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters; later versions may append "-..." fields we ignore.
  if (version == "00" && value.size() != kLength) return std::nullopt;
  if (value.size() > kLength && value[kLength] != '-') return std::nullopt;
  if (!core::is_trace_id(trace)) return std::nullopt;
  if (!is_lower_hex(parent) || all_zero(parent)) return std::nullopt;
  if (!is_lower_hex(flags)) return std::nullopt;
  TraceParent parsed;
  parsed.version = std::string(version);
  parsed.trace_id = std::string(trace);
  parsed.parent_id = std::string(parent);
  parsed.flags = static_cast<std::uint8_t>(std::stoi(std::string(flags), nullptr, 16));
  return parsed;
}

std::string format_traceparent(std::string_view trace_id, std::string_view parent_id, bool sampled) {
  std::string out = "00-";
  out += trace_id;
  out += '-';
  out += parent_id;
  out += sampled ? "-01" : "-00";
  return out;
}

std::string trace_id(const ::grpc::ServerContextBase& context) {
  auto parsed = parse_traceparent(metadata_value(context, kTraceparentKey));
  return parsed ? parsed->trace_id : std::string();
}

core::Result<std::optional<identity::CallerIdentity>> verified_caller(const ::grpc::ServerContextBase& context) {
  const std::string rejected = metadata_value(context, kIdentityRejectedKey);
  if (!rejected.empty()) {
    return core::Error{core::ErrorCode::kUnauthenticated, "caller identity refused: " + rejected, {}};
  }
  identity::CallerIdentity caller{metadata_value(context, kTenantKey), metadata_value(context, kPrincipalKey),
                                  metadata_value(context, kRolesKey)};
  if (caller.empty()) return std::optional<identity::CallerIdentity>();
  return std::optional<identity::CallerIdentity>(std::move(caller));
}

core::Result<std::string> caller_tenant(const ::grpc::ServerContextBase& context) {
  auto caller = verified_caller(context);
  if (!caller) return caller.error();
  if (caller.value() && !caller.value()->tenant.empty()) return caller.value()->tenant;
  return core::Error{core::ErrorCode::kUnauthenticated,
                     "no caller tenant: call through the gateway with credentials (it sets a signed "
                     "x-edfleet-tenant)",
                     {}};
}

void set_caller(::grpc::ClientContext& context, const identity::IdentitySigner& signer,
                const identity::CallerIdentity& caller) {
  if (caller.empty()) return;
  if (!caller.tenant.empty()) context.AddMetadata(std::string(kTenantKey), caller.tenant);
  if (!caller.principal.empty()) context.AddMetadata(std::string(kPrincipalKey), caller.principal);
  if (!caller.roles.empty()) context.AddMetadata(std::string(kRolesKey), caller.roles);
  context.AddMetadata(std::string(kSignatureKey), signer.sign(caller));
}

void set_traceparent(::grpc::ClientContext& context, std::string_view traceparent) {
  if (!traceparent.empty()) context.AddMetadata(std::string(kTraceparentKey), std::string(traceparent));
}

}  // namespace edfleet::grpc
