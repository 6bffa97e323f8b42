// Tenant slugs: the one rule for what names a tenant, wherever a tenant arrives (API keys, JWT
// claims, signed identities, events, queries).
#pragma once

#include <string_view>

namespace edfleet::core {

// [a-z0-9][a-z0-9_-]{0,62}: lower-case letters and digits, '_' and '-' after the first character,
// at most 63 characters.
bool is_tenant_slug(std::string_view text);

}  // namespace edfleet::core
