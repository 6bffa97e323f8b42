#include "domain/access_policy.h"

#include <algorithm>

#include "domain/grpc_web.h"

namespace edfleet::gateway {

bool is_known_role(std::string_view role) {
  return std::find(std::begin(kRoles), std::end(kRoles), role) != std::end(kRoles);
}

std::string known_roles_text() {
  std::string out;
  for (std::string_view role : kRoles) out += (out.empty() ? "" : ", ") + std::string(role);
  return out;
}

bool method_matches(std::string_view pattern, std::string_view method) {
  if (pattern == "*") return true;
  if (pattern.ends_with("/*")) {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // "/pkg.Service/"
    return method.starts_with(prefix) && method.size() > prefix.size() &&
           method.find('/', prefix.size()) == std::string_view::npos;
  }
  return pattern == method;
}

core::Result<AccessPolicy> AccessPolicy::create(const std::map<std::string, std::vector<std::string>>& patterns) {
  AccessPolicy policy;
  for (const auto& [role, list] : patterns) {
    const std::string field = "roles." + role;
    if (!is_known_role(role)) {
      return core::Error::invalid("unknown role '" + role + "'; roles are " + known_roles_text(),
                                  field);
    }
    for (const auto& pattern : list) {
      bool valid = pattern == "*";
      if (!valid && pattern.ends_with("/*")) {
        valid = parse_method_path(pattern.substr(0, pattern.size() - 2) + "/X").has_value();
      } else if (!valid) {
        valid = parse_method_path(pattern).has_value();
      }
      if (!valid) {
        return core::Error::invalid("method pattern '" + pattern + "' for role " + role +
                                        " must be *, /package.Service/* or /package.Service/Method",
                                    field);
      }
    }
    policy.patterns_[role] = list;
  }
  return policy;
}

bool AccessPolicy::allows(const std::vector<std::string>& roles, std::string_view method) const {
  for (const auto& role : roles) {
    auto it = patterns_.find(role);
    if (it == patterns_.end()) continue;
    for (const auto& pattern : it->second) {
      if (method_matches(pattern, method)) return true;
    }
  }
  return false;
}

std::vector<std::string> AccessPolicy::roles_allowing(std::string_view method) const {
  std::vector<std::string> out;
  for (std::string_view role : kRoles) {
    if (allows({std::string(role)}, method)) out.emplace_back(role);
  }
  return out;
}

}  // namespace edfleet::gateway
