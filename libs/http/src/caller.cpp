#include "edfleet/http/caller.h"

#include <string>
#include <vector>

namespace edfleet::http {

core::Result<std::optional<identity::CallerIdentity>> verified_caller(const httplib::Request& req,
                                                                      const identity::IdentityVerifier& verifier) {
  // httplib compares header names without regard to case, so "x-edfleet-tenant" and
  // "X-EDFLEET-TENANT" are two values of one header here, and a repeat is caught.
  const auto values_of = [&req](std::string_view key) {
    std::vector<std::string> values;
    const std::string name(key);
    const auto count = req.get_header_value_count(name);
    for (std::size_t i = 0; i < count; ++i) values.push_back(req.get_header_value(name, i));
    return values;
  };
  return identity::authenticate_caller(values_of, verifier);
}

}  // namespace edfleet::http
