// The statements table (migrations/0002) in Postgres: batched writes by the materialiser, with its
// Kafka offsets in the same transaction, and the reads of the Statements resource's GET.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "edfleet/core/clock.h"
#include "edfleet/pg/pool.h"

namespace edfleet::ingest {

// One statement as the materialiser writes it: the query columns and the stored JSON text.
struct StatementRow {
  std::string tenant;
  std::string statement_id;
  core::Timestamp stored;
  std::string actor_key;
  std::optional<std::string> object_agent_key;
  std::string verb_id;
  std::optional<std::string> activity_id;
  std::optional<std::string> registration;
  std::optional<std::string> voids;
  std::optional<std::string> statement_ref;  // the target of a StatementRef object (any verb)
  std::vector<std::string> related_agents;
  std::vector<std::string> related_activities;
  std::string statement;
};

// One attachment's raw data (migrations/0004), stored once per (tenant, sha2).
struct AttachmentRow {
  std::string tenant;
  std::string sha2;          // lower-case hex
  std::string content_type;
  std::string content;       // the octets
};

struct PartitionPosition {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
};

struct StoredStatement {
  std::string statement_id;
  core::Timestamp stored;
  bool voided = false;
  std::string statement;
};

// A statement query (GET /statements without statementId). Empty optionals do not filter. A statement
// whose object is a StatementRef also meets the agent, verb, activity and registration filters when the
// statement it targets does, recursively, voided or not (Communication 2.1.3, Filter Conditions for
// StatementRefs; 2.1.4); since, until and paging apply to the statement itself.
struct StatementQuery {
  std::string tenant;
  std::optional<std::string> agent_key;      // actor or Agent/Group object (any related one with related_agents)
  bool related_agents = false;
  std::optional<std::string> verb_id;
  std::optional<std::string> activity_id;    // the object (any related Activity with related_activities)
  bool related_activities = false;
  std::optional<std::string> registration;
  std::optional<core::Timestamp> since;      // stored > since
  std::optional<core::Timestamp> until;      // stored <= until
  bool ascending = false;
  std::size_t limit = 100;
  // Paging: continue after this (stored, id) position in the query's order.
  std::optional<std::pair<core::Timestamp, std::string>> after;
};

class PgStatementStore {
 public:
  explicit PgStatementStore(pg::ConnectionPool& pool);

  // Inserts the rows (existing ids are left alone: redelivery is harmless), applies voiding in both
  // directions (a voiding statement marks its target; a target arriving after its voiding statement
  // is marked on insert; a voiding statement itself is never voided), and moves the offsets forward,
  // stores the attachment data (a sha2 already stored for the tenant is left alone), all in one
  // transaction. Throws on failure (the consumer retries the batch).
  void write(const std::vector<StatementRow>& rows, const std::vector<PartitionPosition>& offsets,
             const std::vector<AttachmentRow>& attachments = {});

  std::optional<std::int64_t> stored_offset(const std::string& topic, std::int32_t partition);
  // Every partition's stored next offset of `topic` (partitions never written are missing).
  std::map<std::int32_t, std::int64_t> stored_offsets(const std::string& topic);

  // The Consistent-Through persisted by save_consistent_through (migration 0006), if any.
  std::optional<core::Timestamp> consistent_through();
  // Persists `through` unless a later one is stored already.
  void save_consistent_through(core::Timestamp through);

  std::optional<StoredStatement> find(const std::string& tenant, const std::string& statement_id);

  // Not-voided statements matching `query`, in its order, at most limit + 1 (the caller tells from
  // the extra one whether there are more).
  std::vector<StoredStatement> query(const StatementQuery& query);

  // The stored attachment data of `tenant` among `sha2s` (lower-case hex), in no particular order;
  // sha2s not stored are simply missing (e.g. attachments sent with a fileUrl only).
  std::vector<AttachmentRow> attachments(const std::string& tenant, const std::vector<std::string>& sha2s);

 private:
  pg::ConnectionPool& pool_;
};

}  // namespace edfleet::ingest
