// The internal_auth secret of test fleets, and signing with it: ServiceProcess gives every service
// this secret (EDFLEET_INTERNAL_AUTH_SECRET) unless a test passes its own, so a test that calls a
// service directly for a tenant signs like the gateway does:
//
//   grpc::set_caller(context, testing::identity_signer(), {.tenant = "acme"});
//   auto headers = testing::identity_headers({.tenant = "acme", .principal = "key:1"});  // HTTP
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "edfleet/identity/caller_identity.h"

namespace edfleet::testing {

inline constexpr std::string_view kInternalAuthSecret = "edfleet-tests-internal-auth-secret-0123456789abcdef";

// A signer with kInternalAuthSecret on the system clock.
const identity::IdentitySigner& identity_signer();

// X-Edfleet-Tenant / -Principal / -Roles (those set) and X-Edfleet-Identity, signed.
std::map<std::string, std::string> identity_headers(const identity::CallerIdentity& caller);

// `headers` (any multimap-like type, e.g. httplib::Headers) plus identity_headers(caller).
template <typename Headers>
Headers with_identity(const identity::CallerIdentity& caller, Headers headers = {}) {
  for (auto& [name, value] : identity_headers(caller)) headers.emplace(name, value);
  return headers;
}

}  // namespace edfleet::testing
