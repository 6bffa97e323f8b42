#include "report.h"

#include <cstdio>

#include "table.h"

namespace edfleet::cli {

namespace {

std::string plural(std::size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

void PublishTally::add(EventOutcome outcome) {
  if (!outcome.accepted) {
    rejections_.push_back(std::move(outcome));
  } else if (outcome.duplicate) {
    ++duplicates_;
  } else {
    ++accepted_;
  }
}

std::string PublishTally::rejection_line(const EventOutcome& outcome) {
  std::string where = "event " + std::to_string(outcome.index);
  std::string details;
  if (outcome.line > 0) details += "line " + std::to_string(outcome.line);
  if (!outcome.id.empty()) details += (details.empty() ? "" : ", ") + std::string("id ") + outcome.id;
  if (!details.empty()) where += " (" + details + ")";
  std::string text = where + ": " + outcome.reason;
  if (!outcome.field.empty()) text += " " + outcome.field;
  if (!outcome.message.empty()) text += ": " + outcome.message;
  return text;
}

std::string PublishTally::summary() const {
  return plural(total(), "event") + ": " + std::to_string(accepted_) + " accepted, " +
         plural(duplicates_, "duplicate") + ", " + std::to_string(rejected()) + " rejected" +
         (not_sent_ > 0 ? ", " + std::to_string(not_sent_) + " not sent" : "");
}

nlohmann::json PublishTally::to_json() const {
  nlohmann::json rejections = nlohmann::json::array();
  for (const auto& r : rejections_) {
    nlohmann::json entry = {{"index", r.index}, {"id", r.id}, {"reason", r.reason},
                            {"field", r.field}, {"message", r.message}};
    if (r.line > 0) entry["line"] = r.line;
    rejections.push_back(std::move(entry));
  }
  return {{"events", total()},
          {"accepted", accepted_},
          {"duplicates", duplicates_},
          {"rejected", rejected()},
          {"not_sent", not_sent_},
          {"rejections", rejections}};
}

std::string render_counts(const std::vector<CountRow>& rows, std::uint64_t total) {
  if (rows.empty()) return "no events in that range\n";
  Table table({"DAY", "TYPE", "COUNT"});
  table.align(2, Table::Align::kRight);
  for (const auto& row : rows) table.add_row({row.day, row.type, std::to_string(row.count)});
  return table.render() + "total " + std::to_string(total) + "\n";
}

std::string render_learner(const LearnerView& learner) {
  char average[32];
  std::snprintf(average, sizeof average, "%.1f%%", learner.quiz_average_percent);
  Table summary({"LEARNER", learner.learner_id});
  summary.add_row({"total events", std::to_string(learner.total_events)});
  summary.add_row({"first seen", learner.first_seen.empty() ? "-" : learner.first_seen});
  summary.add_row({"last seen", learner.last_seen.empty() ? "-" : learner.last_seen});
  summary.add_row({"quiz submissions", std::to_string(learner.quiz_submissions)});
  summary.add_row({"quiz average", learner.quiz_submissions == 0 ? "-" : average});
  summary.add_row({"tutoring sessions completed", std::to_string(learner.tutoring_sessions_completed)});
  summary.add_row({"support calls", std::to_string(learner.ib_calls)});
  std::string out = summary.render();
  if (!learner.events_by_type.empty()) {
    Table types({"TYPE", "EVENTS"});
    types.align(1, Table::Align::kRight);
    for (const auto& [type, count] : learner.events_by_type) types.add_row({type, std::to_string(count)});
    out += "\n" + types.render();
  }
  return out;
}

}  // namespace edfleet::cli
