#include "domain/run_stats.h"

namespace edfleet::sim {

void RunStats::add_request(const SendResult& result, std::span<const std::string> event_ids,
                           std::chrono::microseconds request_latency,
                           std::span<const std::chrono::microseconds> event_latencies) {
  ++requests_;
  sent_ += event_ids.size();
  request_latency_.record(request_latency);
  for (const auto latency : event_latencies) event_latency_.record(latency);
  if (!result.ok || result.results.size() != event_ids.size()) {
    ++failed_requests_;
    failed_ += event_ids.size();
    ++failures_[result.ok ? "answer with " + std::to_string(result.results.size()) + " results for " +
                                std::to_string(event_ids.size()) + " events"
                          : result.error];
    return;
  }
  for (std::size_t i = 0; i < event_ids.size(); ++i) {
    const auto& r = result.results[i];
    if (r.accepted) {
      ++(r.duplicate ? duplicates_ : accepted_);
    } else if (r.reason == "UNAVAILABLE") {
      ++unavailable_;
    } else {
      const std::string reason = r.reason.empty() ? "UNSPECIFIED" : r.reason;
      ++rejected_by_reason_[reason];
      examples_.try_emplace(reason, RejectionExample{event_ids[i], r.field, r.message});
    }
  }
}

void RunStats::merge(const RunStats& other) {
  requests_ += other.requests_;
  failed_requests_ += other.failed_requests_;
  sent_ += other.sent_;
  accepted_ += other.accepted_;
  duplicates_ += other.duplicates_;
  unavailable_ += other.unavailable_;
  failed_ += other.failed_;
  for (const auto& [reason, n] : other.rejected_by_reason_) rejected_by_reason_[reason] += n;
  for (const auto& [reason, example] : other.examples_) examples_.try_emplace(reason, example);
  for (const auto& [error, n] : other.failures_) failures_[error] += n;
  request_latency_.merge(other.request_latency_);
  event_latency_.merge(other.event_latency_);
}

std::uint64_t RunStats::rejected() const {
  std::uint64_t n = 0;
  for (const auto& [reason, count] : rejected_by_reason_) n += count;
  return n;
}

}  // namespace edfleet::sim
