// Ingest's Prometheus metrics: edfleet_ingest_events_total{outcome} with outcome accepted (newly
// published), duplicate (accepted earlier), rejected (invalid, id reused, tenant mismatch...) or
// unavailable (Kafka/ledger did not answer; retry), plus edfleet_ingest_rejections_total{reason} and
// edfleet_ingest_session_sequence_gaps_total (live-class sequences skipped by accepted events).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "domain/outcome.h"

namespace edfleet::ingest {

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);
  void record(const std::vector<EventOutcome>& outcomes);
  void sequence_gaps(std::uint64_t skipped) { sequence_gaps_.Increment(static_cast<double>(skipped)); }

 private:
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& rejections_;
  prometheus::Counter& accepted_;
  prometheus::Counter& duplicate_;
  prometheus::Counter& rejected_;
  prometheus::Counter& unavailable_;
  prometheus::Counter& sequence_gaps_;
};

}  // namespace edfleet::ingest
