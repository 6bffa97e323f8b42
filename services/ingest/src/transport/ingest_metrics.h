// Ingest's Prometheus metrics: edfleet_ingest_events_total{outcome} with outcome accepted (newly
// published), duplicate (accepted earlier), rejected (invalid, id reused, tenant mismatch...) or
// unavailable (Kafka/ledger did not answer; retry), plus edfleet_ingest_rejections_total{reason}.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "domain/outcome.h"

namespace edfleet::ingest {

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);
  void record(const std::vector<EventOutcome>& outcomes);

 private:
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& rejections_;
  prometheus::Counter& accepted_;
  prometheus::Counter& duplicate_;
  prometheus::Counter& rejected_;
  prometheus::Counter& unavailable_;
};

}  // namespace edfleet::ingest
