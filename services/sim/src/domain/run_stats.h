// What a run counts: per event, accepted / duplicate / rejected (by reason) / unavailable / failed
// (its request got no answer), and the latency of every request and every event. One RunStats per
// worker, merged for the progress line and the summary.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "domain/histogram.h"

namespace edfleet::sim {

// One event's answer from ingest.
struct EventResult {
  bool accepted = false;
  bool duplicate = false;
  std::string reason;    // when rejected: the RejectReason without its prefix, e.g. "INVALID_FIELD", "UNAVAILABLE"
  std::string field;
  std::string message;
};

// One request's answer: per-event results in request order, or a failure of the whole call.
struct SendResult {
  bool ok = true;
  std::string error;     // when !ok, e.g. "UNAVAILABLE: failed to connect" or "HTTP 500"
  std::vector<EventResult> results;
};

struct RejectionExample {
  std::string id;
  std::string field;
  std::string message;
};

class RunStats {
 public:
  // A request of `event_ids.size()` events answered `result` after `request_latency`; each event's
  // latency is measured from when it was due (so a backlog shows up, not only the call's own time).
  void add_request(const SendResult& result, std::span<const std::string> event_ids,
                   std::chrono::microseconds request_latency, std::span<const std::chrono::microseconds> event_latencies);
  // Events written somewhere without an answer (the JSONL target).
  void add_written(std::uint64_t events) { sent_ += events; }
  void merge(const RunStats& other);

  std::uint64_t requests() const { return requests_; }
  std::uint64_t failed_requests() const { return failed_requests_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t accepted() const { return accepted_; }       // new events (not duplicates)
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t rejected() const;                            // excluding unavailable
  std::uint64_t unavailable() const { return unavailable_; }
  std::uint64_t failed() const { return failed_; }           // in requests that got no answer
  const std::map<std::string, std::uint64_t>& rejected_by_reason() const { return rejected_by_reason_; }
  const std::map<std::string, RejectionExample>& examples() const { return examples_; }   // first one per reason
  const std::map<std::string, std::uint64_t>& failures() const { return failures_; }      // request errors
  const LatencyHistogram& request_latency() const { return request_latency_; }
  const LatencyHistogram& event_latency() const { return event_latency_; }

 private:
  std::uint64_t requests_ = 0, failed_requests_ = 0, sent_ = 0, accepted_ = 0, duplicates_ = 0, unavailable_ = 0,
                failed_ = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason_;
  std::map<std::string, RejectionExample> examples_;
  std::map<std::string, std::uint64_t> failures_;
  LatencyHistogram request_latency_;
  LatencyHistogram event_latency_;
};

}  // namespace edfleet::sim
