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

bool pattern_covers(std::string_view held, std::string_view granted) {
  if (held == "*" || held == granted) return true;
  if (granted == "*" || granted.ends_with("/*")) return false;  // only "*" or itself covers a wildcard
  return held.ends_with("/*") && method_matches(held, granted);
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

bool AccessPolicy::knows(std::string_view role) const { return patterns_.find(role) != patterns_.end(); }

bool AccessPolicy::covers(const std::vector<std::string>& caller_roles, std::string_view role) const {
  auto requested = patterns_.find(role);
  if (requested == patterns_.end()) return false;
  return std::all_of(requested->second.begin(), requested->second.end(), [&](const std::string& granted) {
    return std::any_of(caller_roles.begin(), caller_roles.end(), [&](const std::string& caller_role) {
      auto held = patterns_.find(caller_role);
      return held != patterns_.end() &&
             std::any_of(held->second.begin(), held->second.end(),
                         [&](const std::string& pattern) { return pattern_covers(pattern, granted); });
    });
  });
}

core::Result<void> AccessPolicy::check_grant(const std::vector<std::string>& caller_roles,
                                             const std::vector<std::string>& requested_roles) const {
  for (const auto& role : requested_roles) {
    if (!knows(role)) {
      std::string configured;
      for (std::string_view known : kRoles) {
        if (knows(known)) configured += (configured.empty() ? "" : ", ") + std::string(known);
      }
      return core::Error::invalid("unknown role '" + role + "'; roles are " + configured, "roles");
    }
  }
  for (const auto& role : requested_roles) {
    if (!covers(caller_roles, role)) {
      std::string held;
      for (const auto& caller_role : caller_roles) held += (held.empty() ? "" : ", ") + caller_role;
      if (held.empty()) held = "none";
      return core::Error{core::ErrorCode::kPermissionDenied,
                         "the caller's roles (" + held + ") cannot grant role " + role +
                             ": it allows methods they do not",
                         "roles"};
    }
  }
  return {};
}

}  // namespace edfleet::gateway
