// PgAcceptedEventLedger: the AcceptedEventLedger on PostgreSQL table accepted_events (migration
// 0001, claims 0005). One statement per batch for claims (INSERT ... ON CONFLICT DO NOTHING of the keys
// as pending rows, joined to the rows that were there) and one upsert per batch for records (pending
// -> accepted). Concurrent claims (or records) are coalesced: while one statement runs, the calls that
// arrive wait and then go together in the next, each caller still returning only once its own keys
// were claimed (or recorded). At 2,000 single-statement
// xAPI POSTs/s a statement per call cost PostgreSQL ~0.6 cores (edfleet-bench-xapi). Throws
// pg::Unavailable (or a pqxx error) when the database cannot be used; a failed statement fails every
// call it carried.
#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "edfleet/pg/pool.h"
#include "ports/accepted_event_ledger.h"

namespace edfleet::ingest {

class PgAcceptedEventLedger final : public AcceptedEventLedger {
 public:
  // `table`: accepted_events (event ids), or session_sequence_slots (migration 0008: the same shape,
  // for the per-session sequence slots), named by the code, never by configuration.
  explicit PgAcceptedEventLedger(pg::ConnectionPool& pool, const std::string& table = "accepted_events");

  std::vector<LedgerClaim> claim(std::span<const AcceptedEvent> wanted) override;
  void record(std::span<const AcceptedEvent> events) override;
  void release(std::span<const AcceptedEvent> claims) override;

 private:
  std::vector<LedgerClaim> claim_now(std::span<const AcceptedEvent> wanted);
  void record_now(std::span<const AcceptedEvent> events);

  // Calls waiting to go to the database together; `done` once their statement ran.
  struct ClaimGroup {
    std::vector<AcceptedEvent> wanted;
    std::vector<LedgerClaim> claims;  // one per `wanted`
    std::exception_ptr error;
    bool done = false;
  };
  struct RecordGroup {
    std::vector<AcceptedEvent> events;
    std::exception_ptr error;
    bool done = false;
  };

  pg::ConnectionPool& pool_;
  std::string claim_sql_;
  std::string record_statement_;
  std::string record_sql_;
  std::string release_sql_;
  std::mutex mutex_;
  std::condition_variable claim_finished_;    // one per kind: a finished record wakes no claim
  std::condition_variable record_finished_;
  std::shared_ptr<ClaimGroup> open_claim_;     // the group new claims join
  std::shared_ptr<RecordGroup> open_record_;
  bool claim_running_ = false;
  bool record_running_ = false;
};

// A PostgreSQL array literal ({"a","b"}) of `values`, quoted and escaped; exposed for tests.
std::string pg_array_literal(const std::vector<std::string>& values);

}  // namespace edfleet::ingest
