#include "domain/api_keys.h"

#include <algorithm>

#include "domain/access_policy.h"
#include "edfleet/core/base64.h"
#include "edfleet/core/hash.h"

namespace edfleet::gateway {
namespace {

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0F]);
  }
  return out;
}

// The caller learns only that keys cannot be checked now: the exception's text describes the
// database (host, user, SQL errors), which the store's adapter logs on the server side instead.
core::Error unavailable(const KeyStoreUnavailable&) {
  return core::Error::unavailable("API keys cannot be checked right now; retry later");
}

}  // namespace

ApiKeyService::ApiKeyService(ApiKeyStore& store, SecretSource& secrets, const core::Clock& clock)
    : store_(store), secrets_(secrets), clock_(clock) {}

core::Result<CreatedApiKey> ApiKeyService::create(const std::string& tenant, const std::string& name,
                                                  const std::vector<std::string>& roles) {
  if (!is_tenant_slug(tenant)) return core::Error::invalid("tenant must be a slug [a-z0-9][a-z0-9_-]{0,62}", "tenant");
  if (name.empty() || name.size() > 200 ||
      // UTF-8 names are fine; C0 controls and DEL are not (names reach logs and terminals).
      !std::all_of(name.begin(), name.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte >= 0x20 && byte != 0x7F;
      })) {
    return core::Error::invalid("name must be 1 to 200 characters without control characters", "name");
  }
  if (roles.empty()) return core::Error::invalid("a key needs at least one role", "roles");
  for (const auto& role : roles) {
    if (!is_known_role(role)) {
      return core::Error::invalid("unknown role '" + role + "'; roles are " + known_roles_text(), "roles");
    }
  }
  std::vector<std::string> unique_roles = roles;
  std::sort(unique_roles.begin(), unique_roles.end());
  unique_roles.erase(std::unique(unique_roles.begin(), unique_roles.end()), unique_roles.end());
  try {
    for (int attempt = 0; attempt < 3; ++attempt) {  // an id collision (2^-64) is retried
      ApiKeyRecord record;
      record.id = std::string(kApiKeyPrefix) + to_hex(secrets_.random_bytes(8));
      const std::string secret = core::base64url_encode(secrets_.random_bytes(32));
      record.tenant = tenant;
      record.name = name;
      record.roles = unique_roles;
      record.secret_sha256 = core::sha256_hex(secret);
      record.created_at = clock_.now();
      if (store_.insert(record)) return CreatedApiKey{record, format_api_key(record.id, secret)};
    }
  } catch (const KeyStoreUnavailable& e) {
    return unavailable(e);
  }
  return core::Error::internal("could not find a free API key id");
}

core::Result<std::vector<ApiKeyRecord>> ApiKeyService::list(const std::string& tenant) {
  if (!is_tenant_slug(tenant)) return core::Error::invalid("tenant must be a slug", "tenant");
  try {
    return store_.list(tenant);
  } catch (const KeyStoreUnavailable& e) {
    return unavailable(e);
  }
}

core::Result<ApiKeyRecord> ApiKeyService::revoke(const std::string& id, const std::string& tenant) {
  if (!is_api_key_id(id)) return core::Error::invalid("id must be an API key id (efk_...)", "id");
  try {
    auto existing = store_.find(id);
    if (!existing || existing->tenant != tenant) return core::Error::not_found("no API key " + id + " in this tenant");
    auto revoked = store_.revoke(id, clock_.now());
    if (!revoked) return core::Error::not_found("no API key " + id + " in this tenant");
    return *revoked;
  } catch (const KeyStoreUnavailable& e) {
    return unavailable(e);
  }
}

CachingKeyLookup::CachingKeyLookup(ApiKeyStore& store, const core::Clock& clock, Options options)
    : store_(store), clock_(clock), options_(options) {}

std::optional<ApiKeyRecord> CachingKeyLookup::find(const std::string& id) {
  const auto now = clock_.steady_now();
  std::optional<Entry> cached;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it != entries_.end()) {
      const auto age = now - it->second.fetched;
      const auto ttl = it->second.record ? options_.ttl : options_.negative_ttl;
      if (age < ttl) return it->second.record;
      cached = it->second;
    }
  }
  std::optional<ApiKeyRecord> fresh;
  try {
    fresh = store_.find(id);
  } catch (const KeyStoreUnavailable&) {
    if (cached && cached->record && now - cached->fetched < options_.stale_limit) return cached->record;
    throw;
  }
  std::lock_guard lock(mutex_);
  if (entries_.size() >= options_.max_entries) entries_.clear();  // rare; the cache refills itself
  entries_[id] = Entry{fresh, now};
  return fresh;
}

core::Result<Principal> verify_api_key(CachingKeyLookup& keys, const ApiKeyCredential& credential) {
  std::optional<ApiKeyRecord> record;
  try {
    record = keys.find(credential.id);
  } catch (const KeyStoreUnavailable& e) {
    return unavailable(e);
  }
  // Hash even when the key is unknown, so timing does not tell unknown ids from wrong secrets.
  const std::string digest = core::sha256_hex(credential.secret);
  const bool match = record && constant_time_equals(digest, record->secret_sha256);
  if (!match || record->revoked()) {
    return core::Error{core::ErrorCode::kUnauthenticated, "invalid or revoked API key", {}};
  }
  Principal principal;
  principal.tenant = record->tenant;
  principal.subject = "key:" + record->id;
  principal.roles = record->roles;
  principal.limit_key = record->id;
  return principal;
}

}  // namespace edfleet::gateway
