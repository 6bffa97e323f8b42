#include "transport/publishing_caller.h"

namespace edfleet::ingest {

core::Result<std::string> publishing_tenant(const core::Result<std::optional<identity::CallerIdentity>>& caller) {
  if (!caller) return caller.error();
  if (!caller.value()) {
    return core::Error{core::ErrorCode::kUnauthenticated,
                       "Publishing needs credentials: send the events through the gateway with an API key or JWT "
                       "(internal tools sign their identity with internal_auth.secret).",
                       {}};
  }
  const auto& identity = *caller.value();
  if (!identity.tenant.empty()) return identity.tenant;
  if (identity.principal.starts_with("service:")) return std::string();
  return core::Error{core::ErrorCode::kUnauthenticated, "The caller identity names no tenant.", {}};
}

}  // namespace edfleet::ingest
