// Roles -> the methods they may call. A method is "/package.Service/Method" (gRPC-Web and gRPC);
// HTTP routes are checked as the method they stand for (POST /v1/events is
// /edfleet.ingest.v1.IngestService/Publish).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "edfleet/core/result.h"

namespace edfleet::gateway {

// The roles edfleet knows. Credentials may carry others; they grant nothing. lrs_reader and
// lrs_writer are for xAPI clients that only use the LRS under /xapi/ (see xapi_access.h).
inline constexpr std::string_view kRoles[] = {"admin",   "operator",   "educator",  "learner",
                                              "service", "lrs_reader", "lrs_writer"};
bool is_known_role(std::string_view role);
// "admin, operator, ...": the known roles, for error messages.
std::string known_roles_text();

class AccessPolicy {
 public:
  // `patterns` maps a role to method patterns: "*" (everything), "/package.Service/*" (every
  // method of a service) or "/package.Service/Method". Unknown roles and malformed patterns are an
  // error naming the offending entry (field = "roles.<role>").
  static core::Result<AccessPolicy> create(const std::map<std::string, std::vector<std::string>>& patterns);

  // True when any of `roles` allows `method`.
  bool allows(const std::vector<std::string>& roles, std::string_view method) const;

  // The roles that allow `method`, in kRoles order (what a refusal tells the caller it needs).
  std::vector<std::string> roles_allowing(std::string_view method) const;

  // True when the policy has patterns for `role` (it was configured, even with no patterns).
  bool knows(std::string_view role) const;

  // True when every method pattern of `role` is covered by a pattern of one of `caller_roles`
  // (see pattern_covers): holding `role` would let no one call anything the caller cannot.
  // False for a role the policy does not know.
  bool covers(const std::vector<std::string>& caller_roles, std::string_view role) const;

  // Whether a caller holding `caller_roles` may grant `requested_roles` (e.g. to a new API key):
  // kInvalidArgument (field "roles") naming the first role the policy does not know, else
  // kPermissionDenied naming the first role the caller's roles do not cover. No privilege
  // escalation: a key never allows more than the caller that made it.
  core::Result<void> check_grant(const std::vector<std::string>& caller_roles,
                                 const std::vector<std::string>& requested_roles) const;

 private:
  AccessPolicy() = default;
  std::map<std::string, std::vector<std::string>, std::less<>> patterns_;
};

// True when `pattern` (see AccessPolicy::create) matches `method`.
bool method_matches(std::string_view pattern, std::string_view method);

// True when every method `granted` matches is matched by `held` too: "*" covers everything,
// "/pkg.Svc/*" covers itself and "/pkg.Svc/<Method>", an exact method covers itself only.
bool pattern_covers(std::string_view held, std::string_view granted);

}  // namespace edfleet::gateway
