// API key management (create, list, revoke, per tenant) and the cached lookup that authentication
// uses on every request.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/credentials.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"
#include "ports/api_key_store.h"
#include "ports/secret_source.h"

namespace edfleet::gateway {

struct CreatedApiKey {
  ApiKeyRecord record;
  std::string key;  // "efk_<id>.<secret>": shown once, never stored
};

// Keys are minted from 8 random bytes (id, 16 hex digits) and 32 random bytes (secret, 256 bits);
// the store keeps SHA-256(secret). A fast unsalted hash is sound here because the secret is
// uniformly random and long: there is nothing to brute-force or look up in a table.
class ApiKeyService {
 public:
  ApiKeyService(ApiKeyStore& store, SecretSource& secrets, const core::Clock& clock);

  // tenant: a slug; name: 1..200 printable characters; roles: at least one, each known.
  core::Result<CreatedApiKey> create(const std::string& tenant, const std::string& name,
                                     const std::vector<std::string>& roles);
  core::Result<std::vector<ApiKeyRecord>> list(const std::string& tenant);
  // Revokes `id` if it belongs to `tenant` (kNotFound otherwise, not revealing other tenants'
  // keys). Revoking twice keeps the first time.
  core::Result<ApiKeyRecord> revoke(const std::string& id, const std::string& tenant);

 private:
  ApiKeyStore& store_;
  SecretSource& secrets_;
  const core::Clock& clock_;
};

// Looks keys up through a short-lived in-memory cache, so authentication does not hit the store on
// every request and a revocation takes effect within `ttl`. Unknown ids are cached too (for
// `negative_ttl`), so a flood of bad keys does not reach the database. When the store is
// unavailable, an entry up to `stale_limit` old is still used (logged by the caller), else
// KeyStoreUnavailable propagates. Thread-safe.
class CachingKeyLookup {
 public:
  struct Options {
    std::chrono::milliseconds ttl{5000};
    std::chrono::milliseconds negative_ttl{2000};
    std::chrono::milliseconds stale_limit{300000};
    std::size_t max_entries = 100000;
  };
  CachingKeyLookup(ApiKeyStore& store, const core::Clock& clock, Options options);
  std::optional<ApiKeyRecord> find(const std::string& id);

 private:
  struct Entry {
    std::optional<ApiKeyRecord> record;
    std::chrono::steady_clock::time_point fetched;
  };
  ApiKeyStore& store_;
  const core::Clock& clock_;
  Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// Verifies an API key credential: known, not revoked, and SHA-256(secret) equal (constant time)
// to the stored digest. The error is kUnauthenticated with the same message whichever check
// failed, so callers cannot probe for valid ids; kUnavailable when the store cannot be reached.
// Here and in ApiKeyService, a kUnavailable message is generic: it never carries the store's
// exception text (database host, user, errors), which the store logs itself.
core::Result<Principal> verify_api_key(CachingKeyLookup& keys, const ApiKeyCredential& credential);

}  // namespace edfleet::gateway
