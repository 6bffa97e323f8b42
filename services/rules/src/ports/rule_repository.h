// Where rules are stored (Postgres in production, a map in tests).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"

namespace edfleet::rules {

struct StoredRule {
  std::string tenant;
  std::string id;
  std::uint32_t version = 0;
  std::string name;
  std::string source;
  bool enabled = false;
  core::Timestamp created_at{};
  core::Timestamp updated_at{};
};

// Rules per tenant, versioned. Errors: kNotFound, kAlreadyExists; the store throws
// StoreUnavailable when the database cannot be reached.
class RuleRepository {
 public:
  virtual ~RuleRepository() = default;
  virtual core::Result<StoredRule> create(const std::string& tenant, const std::string& id, const std::string& name,
                                          const std::string& source, bool enabled) = 0;
  // A new version (the same one when the source did not change).
  virtual core::Result<StoredRule> update(const std::string& tenant, const std::string& id, const std::string& source) = 0;
  virtual core::Result<StoredRule> set_enabled(const std::string& tenant, const std::string& id, bool enabled) = 0;
  virtual core::Result<void> remove(const std::string& tenant, const std::string& id) = 0;
  // version 0 = latest.
  virtual core::Result<StoredRule> get(const std::string& tenant, const std::string& id, std::uint32_t version) = 0;
  virtual std::vector<StoredRule> list(const std::string& tenant, bool include_disabled) = 0;
  // Every tenant's enabled rules at their latest version, and the revision they reflect.
  virtual std::vector<StoredRule> active(std::int64_t& revision) = 0;
  // The current revision (moves on every change).
  virtual std::int64_t revision() = 0;
};

struct StoreUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace edfleet::rules
