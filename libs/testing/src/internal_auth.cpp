#include "edfleet/testing/internal_auth.h"

#include "edfleet/core/clock.h"

namespace edfleet::testing {

const identity::IdentitySigner& identity_signer() {
  static const identity::IdentitySigner signer(std::string(kInternalAuthSecret), core::SystemClock::instance(),
                                               std::chrono::seconds(60));
  return signer;
}

std::map<std::string, std::string> identity_headers(const identity::CallerIdentity& caller) {
  std::map<std::string, std::string> headers;
  if (!caller.tenant.empty()) headers["X-Edfleet-Tenant"] = caller.tenant;
  if (!caller.principal.empty()) headers["X-Edfleet-Principal"] = caller.principal;
  if (!caller.roles.empty()) headers["X-Edfleet-Roles"] = caller.roles;
  headers["X-Edfleet-Identity"] = identity_signer().sign(caller);
  return headers;
}

}  // namespace edfleet::testing
