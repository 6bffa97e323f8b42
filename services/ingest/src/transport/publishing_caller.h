// Who may publish events, and as which tenant. Ingest takes the tenant only from a caller identity
// it can verify (signed by the gateway, or by an internal tool holding internal_auth.secret), never
// from an unauthenticated call's events: anything that reaches ingest's port could write them.
#pragma once

#include <optional>
#include <string>

#include "edfleet/core/result.h"
#include "edfleet/identity/caller_identity.h"

namespace edfleet::ingest {

// The tenant every event of the call must belong to, or "" for an internal service that publishes
// for several tenants (a signed identity with principal "service:<name>" and no tenant; the gateway
// never signs one). UNAUTHENTICATED for a call without a verified identity.
core::Result<std::string> publishing_tenant(const core::Result<std::optional<identity::CallerIdentity>>& caller);

}  // namespace edfleet::ingest
