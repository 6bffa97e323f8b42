#include "adapters/pg_rule_repository.h"

#include <pqxx/pqxx>

#include "edfleet/core/log.h"

namespace edfleet::rules {

namespace {

constexpr const char* kRuleColumns =
    "r.tenant, r.id, v.version, r.name, v.source, r.enabled, "
    "(extract(epoch FROM r.created_at) * 1000000)::bigint, (extract(epoch FROM r.updated_at) * 1000000)::bigint";

StoredRule to_rule(const pqxx::row& row) {
  StoredRule r;
  r.tenant = row[0].as<std::string>();
  r.id = row[1].as<std::string>();
  r.version = row[2].as<std::uint32_t>();
  r.name = row[3].as<std::string>();
  r.source = row[4].as<std::string>();
  r.enabled = row[5].as<bool>();
  r.created_at = core::Timestamp{std::chrono::microseconds{row[6].as<std::int64_t>()}};
  r.updated_at = core::Timestamp{std::chrono::microseconds{row[7].as<std::int64_t>()}};
  return r;
}

// What a retry may fix (the pool reports it as pg::Unavailable) becomes StoreUnavailable (callers
// answer UNAVAILABLE or retry).
template <typename Fn>
auto guarded(pg::ConnectionPool& pool, Fn&& fn) {
  try {
    return pool.with_connection([&](pqxx::connection& c) { return fn(c); });
  } catch (const pg::Unavailable& e) {
    throw StoreUnavailable(e.what());
  }
}

std::optional<StoredRule> fetch(pqxx::transaction_base& tx, const std::string& tenant, const std::string& id,
                                std::uint32_t version, bool include_deleted = false) {
  const std::string sql = std::string("SELECT ") + kRuleColumns +
                          " FROM rules r JOIN rule_versions v ON v.tenant = r.tenant AND v.id = r.id"
                          " AND v.version = (CASE WHEN $3 = 0 THEN r.latest_version ELSE $3 END)"
                          " WHERE r.tenant = $1 AND r.id = $2" +
                          (include_deleted ? "" : " AND NOT r.deleted");
  auto rows = tx.exec_params(sql, tenant, id, static_cast<std::int64_t>(version));
  if (rows.empty()) return std::nullopt;
  return to_rule(rows[0]);
}

core::Error missing(const std::string& id) {
  return core::Error::not_found("there is no rule \"" + id + "\" in this tenant");
}

}  // namespace

core::Result<StoredRule> PgRuleRepository::create(const std::string& tenant, const std::string& id,
                                                  const std::string& name, const std::string& source, bool enabled) {
  return guarded(pool_, [&](pqxx::connection& c) -> core::Result<StoredRule> {
    pqxx::work tx(c);
    auto existing = tx.exec_params("SELECT deleted, latest_version FROM rules WHERE tenant = $1 AND id = $2 FOR UPDATE",
                                   tenant, id);
    std::int64_t version = 1;
    if (!existing.empty()) {
      if (!existing[0][0].as<bool>()) {
        return core::Error{core::ErrorCode::kAlreadyExists,
                           "a rule \"" + id + "\" already exists; use UpdateRule to make a new version", "source"};
      }
      // A deleted rule's id is reused: its versions go on, so ids of old actions stay distinct.
      version = existing[0][1].as<std::int64_t>() + 1;
      tx.exec_params(
          "UPDATE rules SET name = $3, latest_version = $4, enabled = $5, deleted = false, created_at = now(),"
          " updated_at = now(), revision = nextval('rules_revision') WHERE tenant = $1 AND id = $2",
          tenant, id, name, version, enabled);
    } else {
      tx.exec_params(
          "INSERT INTO rules (tenant, id, name, latest_version, enabled, revision)"
          " VALUES ($1, $2, $3, 1, $4, nextval('rules_revision'))",
          tenant, id, name, enabled);
    }
    tx.exec_params("INSERT INTO rule_versions (tenant, id, version, source) VALUES ($1, $2, $3, $4)", tenant, id,
                   version, source);
    auto rule = fetch(tx, tenant, id, 0);
    tx.commit();
    return *rule;
  });
}

core::Result<StoredRule> PgRuleRepository::update(const std::string& tenant, const std::string& id,
                                                  const std::string& source) {
  return guarded(pool_, [&](pqxx::connection& c) -> core::Result<StoredRule> {
    pqxx::work tx(c);
    auto current = fetch(tx, tenant, id, 0);
    if (!current) return missing(id);
    if (current->source == source) return *current;  // nothing changed: same version (apply is idempotent)
    tx.exec_params("SELECT 1 FROM rules WHERE tenant = $1 AND id = $2 FOR UPDATE", tenant, id);
    const auto version = static_cast<std::int64_t>(current->version) + 1;
    tx.exec_params("INSERT INTO rule_versions (tenant, id, version, source) VALUES ($1, $2, $3, $4)", tenant, id,
                   version, source);
    tx.exec_params(
        "UPDATE rules SET latest_version = $3, updated_at = now(), revision = nextval('rules_revision')"
        " WHERE tenant = $1 AND id = $2",
        tenant, id, version);
    auto rule = fetch(tx, tenant, id, 0);
    tx.commit();
    return *rule;
  });
}

core::Result<StoredRule> PgRuleRepository::set_enabled(const std::string& tenant, const std::string& id, bool enabled) {
  return guarded(pool_, [&](pqxx::connection& c) -> core::Result<StoredRule> {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "UPDATE rules SET enabled = $3, updated_at = now(), revision = nextval('rules_revision')"
        " WHERE tenant = $1 AND id = $2 AND NOT deleted AND enabled <> $3",
        tenant, id, enabled);
    auto rule = fetch(tx, tenant, id, 0);
    if (!rule) return missing(id);
    tx.commit();
    return *rule;
  });
}

core::Result<void> PgRuleRepository::remove(const std::string& tenant, const std::string& id) {
  return guarded(pool_, [&](pqxx::connection& c) -> core::Result<void> {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "UPDATE rules SET deleted = true, enabled = false, updated_at = now(), revision = nextval('rules_revision')"
        " WHERE tenant = $1 AND id = $2 AND NOT deleted",
        tenant, id);
    if (r.affected_rows() == 0) return missing(id);
    tx.commit();
    return {};
  });
}

core::Result<StoredRule> PgRuleRepository::get(const std::string& tenant, const std::string& id, std::uint32_t version) {
  return guarded(pool_, [&](pqxx::connection& c) -> core::Result<StoredRule> {
    pqxx::read_transaction tx(c);
    auto rule = fetch(tx, tenant, id, version);
    if (!rule) {
      if (version != 0 && fetch(tx, tenant, id, 0)) {
        return core::Error::not_found("rule \"" + id + "\" has no version " + std::to_string(version));
      }
      return missing(id);
    }
    return *rule;
  });
}

std::vector<StoredRule> PgRuleRepository::list(const std::string& tenant, bool include_disabled) {
  return guarded(pool_, [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(std::string("SELECT ") + kRuleColumns +
                                   " FROM rules r JOIN rule_versions v ON v.tenant = r.tenant AND v.id = r.id"
                                   " AND v.version = r.latest_version WHERE r.tenant = $1 AND NOT r.deleted"
                                   " AND (r.enabled OR $2) ORDER BY r.id",
                               tenant, include_disabled);
    std::vector<StoredRule> out;
    for (const auto& row : rows) out.push_back(to_rule(row));
    return out;
  });
}

std::vector<StoredRule> PgRuleRepository::active(std::int64_t& revision) {
  return guarded(pool_, [&](pqxx::connection& c) {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
    revision = tx.exec("SELECT coalesce(max(revision), 0) FROM rules")[0][0].as<std::int64_t>();
    auto rows = tx.exec(std::string("SELECT ") + kRuleColumns +
                        " FROM rules r JOIN rule_versions v ON v.tenant = r.tenant AND v.id = r.id"
                        " AND v.version = r.latest_version WHERE r.enabled AND NOT r.deleted ORDER BY r.tenant, r.id");
    std::vector<StoredRule> out;
    for (const auto& row : rows) out.push_back(to_rule(row));
    return out;
  });
}

std::int64_t PgRuleRepository::revision() {
  return guarded(pool_, [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return tx.exec("SELECT coalesce(max(revision), 0) FROM rules")[0][0].as<std::int64_t>();
  });
}

// --- checkpoints -----------------------------------------------------------------------------------

LoadedPartition PgStateStore::load(const std::string& topic, std::int32_t partition) {
  return guarded(pool_, [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto head = tx.exec_params(
        "INSERT INTO rules_partitions AS p (topic, partition, epoch) VALUES ($1, $2, 1)"
        " ON CONFLICT (topic, partition) DO UPDATE SET epoch = p.epoch + 1, updated_at = now()"
        " RETURNING epoch, next_offset, meta",
        topic, partition);
    LoadedPartition loaded;
    loaded.epoch = head[0][0].as<std::int64_t>();
    if (!head[0][1].is_null()) loaded.next_offset = head[0][1].as<std::int64_t>();
    if (!head[0][2].is_null()) loaded.snapshot.meta = pqxx::binarystring(head[0][2]).str();
    auto rows = tx.exec_params("SELECT rule, key, state FROM rules_key_state WHERE topic = $1 AND partition = $2",
                               topic, partition);
    loaded.snapshot.rows.reserve(rows.size());
    for (const auto& row : rows) {
      loaded.snapshot.rows.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                                      pqxx::binarystring(row[2]).str(), false});
    }
    tx.commit();
    return loaded;
  });
}

void PgStateStore::save(const std::string& topic, const std::vector<PartitionCheckpoint>& checkpoints) {
  guarded(pool_, [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const std::string qtopic = tx.quote(topic);
    for (const auto& cp : checkpoints) {
      const auto& meta = cp.snapshot.meta;
      const pqxx::binarystring meta_bytes(meta.data(), meta.size());
      auto fenced = cp.next_offset
                        ? tx.exec_params("UPDATE rules_partitions SET next_offset = $3, meta = $4, updated_at = now()"
                                         " WHERE topic = $1 AND partition = $2 AND epoch = $5",
                                         topic, cp.partition, *cp.next_offset, meta_bytes, cp.epoch)
                        : tx.exec_params("UPDATE rules_partitions SET meta = $3, updated_at = now()"
                                         " WHERE topic = $1 AND partition = $2 AND epoch = $4",
                                         topic, cp.partition, meta_bytes, cp.epoch);
      if (fenced.affected_rows() == 0) {
        throw PartitionFenced(cp.partition, "partition " + std::to_string(cp.partition) +
                                                " was taken over by another instance (epoch " +
                                                std::to_string(cp.epoch) + " is stale)");
      }
      const std::string prefix = "(" + qtopic + "," + std::to_string(cp.partition) + ",";
      constexpr std::size_t kChunk = 500;
      std::string upsert, removal;
      std::size_t upserts = 0, removals = 0;
      auto flush = [&](bool force) {
        if (upserts > 0 && (force || upserts >= kChunk)) {
          tx.exec("INSERT INTO rules_key_state (topic, partition, rule, key, state) VALUES " + upsert +
                  " ON CONFLICT (topic, partition, rule, key) DO UPDATE SET state = EXCLUDED.state");
          upsert.clear();
          upserts = 0;
        }
        if (removals > 0 && (force || removals >= kChunk)) {
          tx.exec("DELETE FROM rules_key_state WHERE (topic, partition, rule, key) IN (" + removal + ")");
          removal.clear();
          removals = 0;
        }
      };
      for (const auto& row : cp.snapshot.rows) {
        if (row.deleted) {
          removal += (removals++ ? "," : "") + prefix + tx.quote(row.rule) + "," + tx.quote(row.key) + ")";
        } else {
          upsert += (upserts++ ? "," : "") + prefix + tx.quote(row.rule) + "," + tx.quote(row.key) + "," +
                    tx.quote_raw(reinterpret_cast<const unsigned char*>(row.blob.data()), row.blob.size()) + ")";
        }
        flush(false);
      }
      flush(true);
    }
    tx.commit();
    return 0;
  });
}

}  // namespace edfleet::rules
