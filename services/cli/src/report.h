// What `edfleet publish` and `edfleet query` print, built from plain values (not protos) so the
// wording and layout are unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edfleet::cli {

// One event's outcome: rejected locally (not valid Event JSON) or by ingest, or accepted.
struct EventOutcome {
  std::size_t index = 0;   // position in the input
  std::size_t line = 0;    // 1-based line in the input, 0 when unknown
  std::string id;
  bool accepted = false;
  bool duplicate = false;
  std::string reason;      // e.g. "INVALID_FIELD" or "NOT_AN_EVENT"
  std::string field;
  std::string message;
};

class PublishTally {
 public:
  void add(EventOutcome outcome);
  std::size_t accepted() const { return accepted_; }        // new events (not duplicates)
  std::size_t duplicates() const { return duplicates_; }
  std::size_t rejected() const { return rejections_.size(); }
  // Events never sent because a call failed and publishing stopped.
  void set_not_sent(std::size_t n) { not_sent_ = n; }
  std::size_t not_sent() const { return not_sent_; }
  std::size_t total() const { return accepted_ + duplicates_ + rejections_.size() + not_sent_; }
  const std::vector<EventOutcome>& rejections() const { return rejections_; }

  // "event 12 (line 13, id 4f1c...): INVALID_FIELD occurred_at: <message>"
  static std::string rejection_line(const EventOutcome& outcome);
  // "3 events: 1 accepted, 1 duplicate, 1 rejected" (+ ", N not sent" when publishing stopped)
  std::string summary() const;
  nlohmann::json to_json() const;

 private:
  std::size_t accepted_ = 0;
  std::size_t duplicates_ = 0;
  std::size_t not_sent_ = 0;
  std::vector<EventOutcome> rejections_;
};

struct CountRow {
  std::string day;
  std::string type;
  std::uint64_t count = 0;
};

// DAY / TYPE / COUNT table and a total line.
std::string render_counts(const std::vector<CountRow>& rows, std::uint64_t total);

struct LearnerView {
  std::string learner_id;
  std::uint64_t total_events = 0;
  std::map<std::string, std::uint64_t> events_by_type;
  std::string first_seen;   // RFC 3339 or ""
  std::string last_seen;
  std::uint64_t quiz_submissions = 0;
  double quiz_average_percent = 0;
  std::uint64_t tutoring_sessions_completed = 0;
  std::uint64_t ib_calls = 0;
};

std::string render_learner(const LearnerView& learner);

}  // namespace edfleet::cli
