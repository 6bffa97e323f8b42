#include "adapters/pg_accepted_event_ledger.h"

#include <functional>
#include <map>
#include <set>
#include <stdexcept>

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

// The claim is planned at every call (not prepared): it contains the lookup, and a prepared
// lookup's cached generic plan, made while the ledger was nearly empty, kept a hash join over a
// sequential scan of the whole table as it grew. In one benchmark run 4,476 such scans read 132 million
// rows and PostgreSQL spent a core on them at 1,000 xAPI POSTs/s (edfleet-bench-xapi,
// pg_stat_user_tables and a profile).
//
// One statement inserts the absent keys as pending claims and reads the rows that were there: the
// outer SELECT sees the table as it was when the statement began (not the CTE's own inserts). A key
// neither inserted nor seen was committed by a concurrent statement after that snapshot (or a row
// being inserted was released); claim_now runs the statement again for such keys.
std::string claim_sql(const std::string& table) {
  return "WITH k AS (SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[]) "
    "             WITH ORDINALITY AS k(tenant, event_id, content_hash, claimed_at, n)), "
    "ins AS (INSERT INTO " + table + " (tenant, event_id, content_hash, claimed_at) "
    "        SELECT tenant, event_id, content_hash, claimed_at FROM k "
    "        ON CONFLICT DO NOTHING RETURNING tenant, event_id) "
    "SELECT i.event_id IS NOT NULL, a.content_hash, a.accepted_at IS NOT NULL "
    "FROM k LEFT JOIN ins i ON i.tenant = k.tenant AND i.event_id = k.event_id "
    "LEFT JOIN " + table + " a ON a.tenant = k.tenant AND a.event_id = k.event_id "
    "ORDER BY k.n";
}
// The update has no plan to go stale: prepared once per pooled connection (pqxx prepares on first
// use; declaring it again is a no-op), which saves parsing and planning it at every call. It also
// inserts: the claim may have been released (or never made, a record of an older process) meanwhile.
std::string record_sql(const std::string& table) {
  return "INSERT INTO " + table + " (tenant, event_id, content_hash, accepted_at, claimed_at) "
         "SELECT t, e, h, a, a FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[]) AS r(t, e, h, a) "
         "ON CONFLICT (tenant, event_id) DO UPDATE SET accepted_at = excluded.accepted_at "
         "WHERE " + table + ".accepted_at IS NULL AND " + table + ".content_hash = excluded.content_hash";
}
std::string release_sql(const std::string& table) {
  return "DELETE FROM " + table + " a USING unnest($1::text[], $2::uuid[], $3::text[]) AS k(tenant, event_id, hash) "
         "WHERE a.tenant = k.tenant AND a.event_id = k.event_id AND a.content_hash = k.hash AND a.accepted_at IS NULL";
}

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

PgAcceptedEventLedger::PgAcceptedEventLedger(pg::ConnectionPool& pool, const std::string& table)
    : pool_(pool),
      claim_sql_(claim_sql(table)),
      record_statement_("ingest_ledger_record_" + table),
      record_sql_(record_sql(table)),
      release_sql_(release_sql(table)) {}

std::vector<LedgerClaim> PgAcceptedEventLedger::claim(std::span<const AcceptedEvent> wanted) {
  if (wanted.empty()) return {};
  std::size_t offset = 0;
  const auto group = join_and_wait<ClaimGroup>(
      mutex_, claim_finished_, open_claim_, claim_running_,
      [&](ClaimGroup& g) {
        offset = g.wanted.size();
        g.wanted.insert(g.wanted.end(), wanted.begin(), wanted.end());
      },
      [this](ClaimGroup& g) { g.claims = claim_now(g.wanted); });
  if (group->error) std::rethrow_exception(group->error);
  return {group->claims.begin() + static_cast<std::ptrdiff_t>(offset),
          group->claims.begin() + static_cast<std::ptrdiff_t>(offset + wanted.size())};
}

void PgAcceptedEventLedger::record(std::span<const AcceptedEvent> events) {
  if (events.empty()) return;
  const auto group = join_and_wait<RecordGroup>(
      mutex_, record_finished_, open_record_, record_running_,
      [&](RecordGroup& g) { g.events.insert(g.events.end(), events.begin(), events.end()); },
      [this](RecordGroup& g) { record_now(g.events); });
  if (group->error) std::rethrow_exception(group->error);
}

void PgAcceptedEventLedger::release(std::span<const AcceptedEvent> claims) {
  // Only after a failed publish: rare, so not coalesced.
  if (claims.empty()) return;
  std::vector<std::string> tenants, ids, hashes;
  for (const auto& claim : claims) {
    tenants.push_back(claim.key.tenant);
    ids.push_back(claim.key.id);
    hashes.push_back(claim.content_hash);
  }
  pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::nontransaction tx(connection);
    tx.exec_params(release_sql_, pg_array_literal(tenants), pg_array_literal(ids), pg_array_literal(hashes));
  });
}

std::vector<LedgerClaim> PgAcceptedEventLedger::claim_now(std::span<const AcceptedEvent> wanted) {
  std::vector<LedgerClaim> claims(wanted.size());
  // A key twice in one statement (two callers of this process): the first goes to the database, the
  // later ones find it held by the first (pending, with the first's hash).
  std::map<EventKey, std::size_t> first;
  std::vector<std::size_t> unresolved;
  std::vector<std::size_t> copies;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (first.emplace(wanted[i].key, i).second) {
      unresolved.push_back(i);
    } else {
      copies.push_back(i);
    }
  }
  // A key left unresolved (a concurrent insert committed after the statement's snapshot) is found, or
  // claimed, by the next attempt; three misses in a row are reported as an error (unavailable).
  for (int attempt = 0; attempt < 3 && !unresolved.empty(); ++attempt) {
    std::vector<std::string> tenants, ids, hashes, times;
    for (const std::size_t i : unresolved) {
      tenants.push_back(wanted[i].key.tenant);
      ids.push_back(wanted[i].key.id);
      hashes.push_back(wanted[i].content_hash);
      times.push_back(core::format_rfc3339(wanted[i].accepted_at));
    }
    std::vector<std::size_t> again;
    pool_.with_connection([&](pqxx::connection& connection) {
      // One statement is atomic on its own (autocommit): no BEGIN / COMMIT round trips.
      pqxx::nontransaction tx(connection);
      const pqxx::result rows = tx.exec_params(claim_sql_, pg_array_literal(tenants), pg_array_literal(ids),
                                               pg_array_literal(hashes), pg_array_literal(times));
      if (rows.size() != unresolved.size()) throw std::runtime_error("ledger claim: unexpected row count");
      for (std::size_t r = 0; r < rows.size(); ++r) {
        const std::size_t i = unresolved[r];
        const auto& row = rows[static_cast<pqxx::result::size_type>(r)];
        if (row[0].as<bool>()) {
          claims[i] = {LedgerClaim::State::kClaimed, wanted[i].content_hash};
        } else if (!row[1].is_null()) {
          claims[i] = {row[2].as<bool>() ? LedgerClaim::State::kAccepted : LedgerClaim::State::kPending,
                       row[1].as<std::string>()};
        } else {
          again.push_back(i);
        }
      }
    });
    unresolved = std::move(again);
  }
  if (!unresolved.empty()) throw std::runtime_error("ledger claim: keys changed under three attempts in a row");
  for (const std::size_t i : copies) {
    const LedgerClaim& held = claims[first.at(wanted[i].key)];
    claims[i] = held.state == LedgerClaim::State::kClaimed ? LedgerClaim{LedgerClaim::State::kPending, held.content_hash}
                                                           : held;
  }
  return claims;
}

void PgAcceptedEventLedger::record_now(std::span<const AcceptedEvent> events) {
  if (events.empty()) return;
  // ON CONFLICT DO UPDATE may not touch a row twice in one statement: one entry per key.
  std::set<EventKey> seen;
  std::vector<std::string> tenants, ids, hashes, times;
  for (const auto& event : events) {
    if (!seen.insert(event.key).second) continue;
    tenants.push_back(event.key.tenant);
    ids.push_back(event.key.id);
    hashes.push_back(event.content_hash);
    times.push_back(core::format_rfc3339(event.accepted_at));
  }
  pool_.with_connection([&](pqxx::connection& connection) {
    // One INSERT is atomic on its own (autocommit): no BEGIN / COMMIT round trips.
    connection.prepare(record_statement_, record_sql_);
    pqxx::nontransaction tx(connection);
    tx.exec_prepared(record_statement_, pg_array_literal(tenants), pg_array_literal(ids), pg_array_literal(hashes),
                     pg_array_literal(times));
    tx.commit();
  });
}

}  // namespace edfleet::ingest
