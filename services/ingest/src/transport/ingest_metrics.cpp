#include "transport/ingest_metrics.h"

#include <string>

namespace edfleet::ingest {

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : events_(prometheus::BuildCounter()
                  .Name("edfleet_ingest_events_total")
                  .Help("Events received by ingest, by outcome: accepted, duplicate, rejected, unavailable")
                  .Register(registry)),
      rejections_(prometheus::BuildCounter()
                      .Name("edfleet_ingest_rejections_total")
                      .Help("Events ingest did not accept, by reject reason")
                      .Register(registry)),
      accepted_(events_.Add({{"outcome", "accepted"}})),
      duplicate_(events_.Add({{"outcome", "duplicate"}})),
      rejected_(events_.Add({{"outcome", "rejected"}})),
      unavailable_(events_.Add({{"outcome", "unavailable"}})),
      sequence_gaps_(prometheus::BuildCounter()
                         .Name("edfleet_ingest_session_sequence_gaps_total")
                         .Help("Live-class sequence numbers skipped by accepted session.* events (lost, or "
                               "not yet arrived), as this process saw them")
                         .Register(registry)
                         .Add({})) {}

void IngestMetrics::record(const std::vector<EventOutcome>& outcomes) {
  for (const auto& outcome : outcomes) {
    if (outcome.accepted) {
      (outcome.duplicate ? duplicate_ : accepted_).Increment();
      continue;
    }
    (outcome.reason == RejectReason::kUnavailable ? unavailable_ : rejected_).Increment();
    rejections_.Add({{"reason", std::string(reject_reason_name(outcome.reason))}}).Increment();
  }
}

}  // namespace edfleet::ingest
