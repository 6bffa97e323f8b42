// Where API keys live (Postgres in production, an in-memory fake in tests). Only the SHA-256 of a
// key's secret is stored.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "edfleet/core/clock.h"

namespace edfleet::gateway {

struct ApiKeyRecord {
  std::string id;             // "efk_<hex>"
  std::string tenant;
  std::string name;
  std::vector<std::string> roles;
  std::string secret_sha256;  // lower-case hex
  core::Timestamp created_at;
  std::optional<core::Timestamp> revoked_at;
  bool revoked() const { return revoked_at.has_value(); }
};

// The store cannot be reached right now; retrying later may succeed. The text is for the server's
// logs (the store logs it when it throws); callers are told only that keys cannot be checked.
struct KeyStoreUnavailable : std::runtime_error {
  using runtime_error::runtime_error;
};

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;
  virtual std::optional<ApiKeyRecord> find(const std::string& id) = 0;
  // Inserts a new key; returns false when the id exists already.
  virtual bool insert(const ApiKeyRecord& record) = 0;
  // The tenant's keys, revoked ones included, oldest first.
  virtual std::vector<ApiKeyRecord> list(const std::string& tenant) = 0;
  // Marks a key revoked at `at` (keeping an earlier revocation time) and returns it; nullopt when
  // there is no such key.
  virtual std::optional<ApiKeyRecord> revoke(const std::string& id, core::Timestamp at) = 0;
};

}  // namespace edfleet::gateway
