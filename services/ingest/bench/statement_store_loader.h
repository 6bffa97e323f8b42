// Fills ingest's statements table (migrations/0002, applied by the real migration code) with
// generated statements by COPY, much faster than through Kafka and the materialiser: the indexes
// and primary key are dropped first and rebuilt afterwards from their own definitions, then the
// table is analysed. Rows are what the materialiser writes (query columns from the same
// statements, the statement text as stored, actor keys from xapi::actor_key); the related-agents
// and related-activities table is left empty (related_* queries are not measured).
#pragma once

#include <cstdint>
#include <string>

#include "bench_statements.h"
#include "edfleet/core/clock.h"

namespace edfleet::bench::xapi {

struct StoreLayout {
  std::string tenant = "lrs-1m";
  std::int64_t statements = 1000000;
  Population population;
  core::Timestamp last_stored;                // the newest statement's `stored`
  std::chrono::seconds span{30 * 24 * 3600};  // stored spread evenly over this much time
  static constexpr std::uint64_t kIdSalt = 4242;

  std::string statement_id(std::int64_t index) const {
    return indexed_uuid(static_cast<std::uint64_t>(index), kIdSalt);
  }
  core::Timestamp stored_at(std::int64_t index) const;  // ascending with the index
  StatementSpec spec(std::int64_t index) const;
};

struct LoadFigures {
  double copy_seconds = 0;   // generating + COPY
  double index_seconds = 0;  // primary key and indexes rebuilt, ANALYZE
  double table_mib = 0;      // pg_total_relation_size of xapi_statements
};

// Applies ingest's migrations to the database at `url` and loads `layout.statements` rows.
LoadFigures load_statement_store(const std::string& url, const StoreLayout& layout);

}  // namespace edfleet::bench::xapi
