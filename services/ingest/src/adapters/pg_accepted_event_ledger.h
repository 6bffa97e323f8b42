// PgAcceptedEventLedger: the AcceptedEventLedger on PostgreSQL table accepted_events (migration
// 0001). One query per batch for lookups (unnest of key arrays joined to the table) and one
// INSERT ... ON CONFLICT DO NOTHING per batch for records. Concurrent calls are coalesced: while a
// lookup (or an insert) runs, the calls that arrive wait and then go together in one statement, each
// caller still returning only once its own keys were looked up (or recorded). At 2,000 single-statement
// xAPI POSTs/s a statement per call cost PostgreSQL ~0.6 cores (edfleet-bench-xapi). Throws
// pg::Unavailable (or a pqxx error) when the database cannot be used; a failed statement fails every
// call it carried.
#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

#include "edfleet/pg/pool.h"
#include "ports/accepted_event_ledger.h"

namespace edfleet::ingest {

class PgAcceptedEventLedger final : public AcceptedEventLedger {
 public:
  explicit PgAcceptedEventLedger(pg::ConnectionPool& pool);

  std::map<EventKey, std::string> find(std::span<const EventKey> keys) override;
  void record(std::span<const AcceptedEvent> events) override;

 private:
  std::map<EventKey, std::string> find_now(std::span<const EventKey> keys);
  void record_now(std::span<const AcceptedEvent> events);

  // Calls waiting to go to the database together; `done` once their statement ran.
  struct FindGroup {
    std::vector<EventKey> keys;
    std::map<EventKey, std::string> found;
    std::exception_ptr error;
    bool done = false;
  };
  struct RecordGroup {
    std::vector<AcceptedEvent> events;
    std::exception_ptr error;
    bool done = false;
  };

  pg::ConnectionPool& pool_;
  std::mutex mutex_;
  std::condition_variable find_finished_;     // one per kind: a finished insert wakes no lookup
  std::condition_variable record_finished_;
  std::shared_ptr<FindGroup> open_find_;       // the group new lookups join
  std::shared_ptr<RecordGroup> open_record_;
  bool find_running_ = false;
  bool record_running_ = false;
};

// A PostgreSQL array literal ({"a","b"}) of `values`, quoted and escaped; exposed for tests.
std::string pg_array_literal(const std::vector<std::string>& values);

}  // namespace edfleet::ingest
