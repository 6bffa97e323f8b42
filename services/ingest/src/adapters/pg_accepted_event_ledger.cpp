#include "adapters/pg_accepted_event_ledger.h"

#include <functional>

#include <pqxx/pqxx>

#include "edfleet/core/time_format.h"

namespace edfleet::ingest {

std::string pg_array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

namespace {

// The lookup is planned at every call (not prepared): a prepared statement's cached generic plan,
// made while the ledger was nearly empty, kept a hash join over a sequential scan of the whole table
// as it grew. In one benchmark run 4,476 such scans read 132 million rows and PostgreSQL spent a
// core on them at 1,000 xAPI POSTs/s (edfleet-bench-xapi, pg_stat_user_tables and a profile).
constexpr const char* kFindSql =
    "SELECT a.tenant, a.event_id::text, a.content_hash "
    "FROM accepted_events a "
    "JOIN unnest($1::text[], $2::uuid[]) AS k(tenant, event_id) "
    "  ON a.tenant = k.tenant AND a.event_id = k.event_id";
// The insert has no plan to go stale: prepared once per pooled connection (pqxx prepares on first
// use; declaring it again is a no-op), which saves parsing and planning it at every call.
constexpr const char* kRecord = "ingest_ledger_record";
constexpr const char* kRecordSql =
    "INSERT INTO accepted_events (tenant, event_id, content_hash, accepted_at) "
    "SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[]) "
    "ON CONFLICT DO NOTHING";

// Leader/follower: the caller that finds no statement of its kind running takes the open group
// (its own) and runs it; the others wait for their group to be done or for their turn to lead.
template <typename Group, typename Run>
std::shared_ptr<Group> join_and_wait(std::mutex& mutex, std::condition_variable& finished,
                                     std::shared_ptr<Group>& open, bool& running,
                                     const std::function<void(Group&)>& add, Run run) {
  std::unique_lock lock(mutex);
  if (!open) open = std::make_shared<Group>();
  std::shared_ptr<Group> group = open;
  add(*group);
  while (!group->done) {
    if (running) {
      finished.wait(lock);
      continue;
    }
    // Not done and nothing running: nobody has taken this group, so it is still the open one.
    running = true;
    open.reset();
    lock.unlock();
    try {
      run(*group);
    } catch (...) {
      group->error = std::current_exception();
    }
    lock.lock();
    group->done = true;
    running = false;
    finished.notify_all();
  }
  return group;
}

}  // namespace

PgAcceptedEventLedger::PgAcceptedEventLedger(pg::ConnectionPool& pool) : pool_(pool) {}

std::map<EventKey, std::string> PgAcceptedEventLedger::find(std::span<const EventKey> keys) {
  if (keys.empty()) return {};
  const auto group = join_and_wait<FindGroup>(
      mutex_, find_finished_, open_find_, find_running_,
      [&](FindGroup& g) { g.keys.insert(g.keys.end(), keys.begin(), keys.end()); },
      [this](FindGroup& g) { g.found = find_now(g.keys); });
  if (group->error) std::rethrow_exception(group->error);
  std::map<EventKey, std::string> mine;
  for (const auto& key : keys) {
    if (const auto it = group->found.find(key); it != group->found.end()) mine.emplace(key, it->second);
  }
  return mine;
}

void PgAcceptedEventLedger::record(std::span<const AcceptedEvent> events) {
  if (events.empty()) return;
  const auto group = join_and_wait<RecordGroup>(
      mutex_, record_finished_, open_record_, record_running_,
      [&](RecordGroup& g) { g.events.insert(g.events.end(), events.begin(), events.end()); },
      [this](RecordGroup& g) { record_now(g.events); });
  if (group->error) std::rethrow_exception(group->error);
}

std::map<EventKey, std::string> PgAcceptedEventLedger::find_now(std::span<const EventKey> keys) {
  std::map<EventKey, std::string> found;
  if (keys.empty()) return found;
  std::vector<std::string> tenants, ids;
  for (const auto& key : keys) {
    tenants.push_back(key.tenant);
    ids.push_back(key.id);
  }
  pool_.with_connection([&](pqxx::connection& connection) {
    // One statement needs no explicit transaction: BEGIN and COMMIT were two more round trips.
    pqxx::nontransaction tx(connection);
    const pqxx::result rows = tx.exec_params(kFindSql, pg_array_literal(tenants), pg_array_literal(ids));
    for (const auto& row : rows) {
      found.emplace(EventKey{row[0].as<std::string>(), row[1].as<std::string>()}, row[2].as<std::string>());
    }
  });
  return found;
}

void PgAcceptedEventLedger::record_now(std::span<const AcceptedEvent> events) {
  if (events.empty()) return;
  std::vector<std::string> tenants, ids, hashes, times;
  for (const auto& event : events) {
    tenants.push_back(event.key.tenant);
    ids.push_back(event.key.id);
    hashes.push_back(event.content_hash);
    times.push_back(core::format_rfc3339(event.accepted_at));
  }
  pool_.with_connection([&](pqxx::connection& connection) {
    // One INSERT is atomic on its own (autocommit): no BEGIN / COMMIT round trips.
    connection.prepare(kRecord, kRecordSql);
    pqxx::nontransaction tx(connection);
    tx.exec_prepared(kRecord, pg_array_literal(tenants), pg_array_literal(ids), pg_array_literal(hashes),
                     pg_array_literal(times));
    tx.commit();
  });
}

}  // namespace edfleet::ingest
