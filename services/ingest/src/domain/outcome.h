// What happened to one event of a batch: accepted (possibly as a duplicate) or rejected with a reason,
// the offending field's path and a sentence a person can act on. Mirrors edfleet.ingest.v1.EventResult.
#pragma once

#include <string>
#include <string_view>

namespace edfleet::ingest {

enum class RejectReason {
  kNone,
  kMissingField,
  kInvalidField,
  kUnknownType,
  kPayloadMismatch,   // the payload set does not match `type`
  kTooLarge,
  kTenantMismatch,
  kIdReused,          // the id was accepted before with different content
  kSequenceConflict,  // session.*: another event holds this (tenant, session_id, sequence)
  kUnavailable,       // Kafka (or the ledger) did not answer in time; safe to retry
};

std::string_view reject_reason_name(RejectReason reason);

struct Rejection {
  RejectReason reason = RejectReason::kInvalidField;
  std::string field;     // e.g. "occurred_at", "payload.quiz_submission.score"; empty for the whole event
  std::string message;
};

struct EventOutcome {
  std::string id;
  bool accepted = false;
  bool duplicate = false;             // accepted earlier (or earlier in this batch); not published again
  RejectReason reason = RejectReason::kNone;
  std::string field;
  std::string message;

  static EventOutcome rejected(std::string id, Rejection rejection) {
    return {std::move(id), false, false, rejection.reason, std::move(rejection.field), std::move(rejection.message)};
  }
};

}  // namespace edfleet::ingest
