// PgAcceptedEventLedger: the AcceptedEventLedger on PostgreSQL table accepted_events (migration
// 0001). One query per batch for lookups (unnest of key arrays joined to the table) and one
// INSERT ... ON CONFLICT DO NOTHING per batch for records. Throws pg::Unavailable (or a pqxx error)
// when the database cannot be used.
#pragma once

#include "edfleet/pg/pool.h"
#include "ports/accepted_event_ledger.h"

namespace edfleet::ingest {

class PgAcceptedEventLedger final : public AcceptedEventLedger {
 public:
  explicit PgAcceptedEventLedger(pg::ConnectionPool& pool);

  std::map<EventKey, std::string> find(std::span<const EventKey> keys) override;
  void record(std::span<const AcceptedEvent> events) override;

 private:
  pg::ConnectionPool& pool_;
};

// A PostgreSQL array literal ({"a","b"}) of `values`, quoted and escaped; exposed for tests.
std::string pg_array_literal(const std::vector<std::string>& values);

}  // namespace edfleet::ingest
