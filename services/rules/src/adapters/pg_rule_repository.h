// PgRuleRepository / PgStateStore: rules and engine checkpoints in PostgreSQL
// (schema: migrations/0001_rules.sql).
#pragma once

#include "edfleet/pg/pool.h"
#include "ports/rule_repository.h"
#include "ports/state_store.h"

namespace edfleet::rules {

class PgRuleRepository final : public RuleRepository {
 public:
  explicit PgRuleRepository(pg::ConnectionPool& pool) : pool_(pool) {}
  core::Result<StoredRule> create(const std::string& tenant, const std::string& id, const std::string& name,
                                  const std::string& source, bool enabled) override;
  core::Result<StoredRule> update(const std::string& tenant, const std::string& id, const std::string& source) override;
  core::Result<StoredRule> set_enabled(const std::string& tenant, const std::string& id, bool enabled) override;
  core::Result<void> remove(const std::string& tenant, const std::string& id) override;
  core::Result<StoredRule> get(const std::string& tenant, const std::string& id, std::uint32_t version) override;
  std::vector<StoredRule> list(const std::string& tenant, bool include_disabled) override;
  std::vector<StoredRule> active(std::int64_t& revision) override;
  std::int64_t revision() override;

 private:
  pg::ConnectionPool& pool_;
};

// Checkpoints: rows upserted/deleted in batches of multi-row statements, the partition row
// updated only when its epoch still matches (fencing), everything in one transaction.
class PgStateStore final : public StateStore {
 public:
  explicit PgStateStore(pg::ConnectionPool& pool) : pool_(pool) {}
  LoadedPartition load(const std::string& topic, std::int32_t partition) override;
  void save(const std::string& topic, const std::vector<PartitionCheckpoint>& checkpoints) override;

 private:
  pg::ConnectionPool& pool_;
};

}  // namespace edfleet::rules
