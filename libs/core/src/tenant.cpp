#include "edfleet/core/tenant.h"

#include <algorithm>

namespace edfleet::core {

bool is_tenant_slug(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  const auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(text.front())) return false;
  return std::all_of(text.begin() + 1, text.end(), [&](char c) { return lower_alnum(c) || c == '_' || c == '-'; });
}

}  // namespace edfleet::core
