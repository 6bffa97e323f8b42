// The caller identity an HTTP request claims (X-Edfleet-Tenant / -Principal / -Roles), checked
// against its X-Edfleet-Identity signature: the HTTP counterpart of the gRPC server's identity
// interceptor, for services whose HTTP routes act for a tenant (ingest).
#pragma once

#include <optional>

#include <httplib.h>

#include "edfleet/core/result.h"
#include "edfleet/identity/caller_identity.h"

namespace edfleet::http {

// nullopt when the request claims no identity; the identity when its signature is valid; else
// UNAUTHENTICATED saying why (unsigned, forged, expired, a header given twice).
core::Result<std::optional<identity::CallerIdentity>> verified_caller(const httplib::Request& req,
                                                                      const identity::IdentityVerifier& verifier);

}  // namespace edfleet::http
