#include "domain/schema.h"

#include <algorithm>

namespace edfleet::rules {

namespace {
constexpr auto N = ValueKind::kNumber;
constexpr auto S = ValueKind::kString;
constexpr auto B = ValueKind::kBool;

std::vector<EventTypeSpec> build() {
  std::vector<EventTypeSpec> t;
  t.push_back({"xapi.statement", "learner_id", {{"version", S}}, true});
  t.push_back({"quiz.submitted", "learner_id",
               {{"quiz_id", S}, {"attempt_id", S}, {"score", N}, {"max_score", N}, {"passed", B},
                {"duration_seconds", N}}});
  auto session = [&](std::string_view type, std::vector<FieldSpec> fields) {
    fields.push_back({"sequence", N});
    t.push_back({type, "session_id", std::move(fields)});
  };
  session("session.scheduled", {{"starts_at", N}, {"planned_minutes", N}, {"title", S}, {"host_id", S}});
  session("session.started", {{"host_id", S}});
  session("session.participant_joined", {{"participant_id", S}, {"role", S}, {"device", S}});
  session("session.participant_left", {{"participant_id", S}, {"reason", S}});
  session("session.scene_changed", {{"scene_id", S}, {"scene_name", S}});
  session("session.slide_changed", {{"deck_id", S}, {"slide_index", N}});
  session("session.chat_message", {{"message_id", S}, {"author_id", S}, {"text", S}});
  session("session.question_asked", {{"question_id", S}, {"author_id", S}, {"text", S}});
  session("session.question_answered", {{"question_id", S}, {"answerer_id", S}, {"text", S}});
  session("session.poll_created", {{"poll_id", S}, {"question", S}});
  session("session.poll_voted", {{"poll_id", S}, {"voter_id", S}, {"option_index", N}});
  session("session.poll_closed", {{"poll_id", S}});
  session("session.transcript_segment", {{"speaker_id", S}, {"start_ms", N}, {"end_ms", N}, {"text", S}});
  session("session.ended", {{"reason", S}, {"duration_seconds", N}});
  t.push_back({"ops.session_started", "learner_id", {{"subject_area", S}, {"first_session", B}, {"booked_for", N}}});
  t.push_back({"ops.session_completed", "learner_id",
               {{"subject_area", S}, {"outcome", S}, {"duration_minutes", N}, {"rating", N}, {"first_session", B}}});
  t.push_back({"ops.ib_call_logged", "learner_id",
               {{"call_id", S}, {"reason", S}, {"duration_seconds", N}, {"sentiment", S}}});
  t.push_back({"ops.tutor_availability_updated", "tutor_id",
               {{"subject_area", S}, {"weekday", N}, {"hour", N}, {"available_slots", N}}});
  t.push_back({"ops.customer_health_update", "learner_id",
               {{"health_score", N}, {"session_velocity", N}, {"ib_calls_30d", N}, {"plan", S}}});
  t.push_back({"ops.supply_demand_update", "",
               {{"subject_area", S}, {"hour", N}, {"open_requests", N}, {"available_tutors", N}}});
  return t;
}

std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t prev = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}
}  // namespace

const std::vector<EventTypeSpec>& event_types() {
  static const std::vector<EventTypeSpec> types = build();
  return types;
}

const EventTypeSpec* find_event_type(std::string_view type) {
  for (const auto& t : event_types()) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

const std::vector<FieldSpec>& envelope_fields() {
  static const std::vector<FieldSpec> fields = {{"id", S}, {"type", S}, {"source", S}, {"learner_id", S},
                                                {"tutor_id", S}, {"session_id", S}, {"course_id", S},
                                                {"day", S}};
  return fields;
}

const FieldSpec* find_field(const EventTypeSpec& type, std::string_view name) {
  for (const auto& f : envelope_fields()) {
    if (f.name == name) return &f;
  }
  for (const auto& f : type.fields) {
    if (f.name == name) return &f;
  }
  if (type.free_form && name.starts_with("statement.") && name.size() > 10) {
    static const FieldSpec any{"statement", ValueKind::kAny};
    return &any;
  }
  return nullptr;
}

std::string canonical_path(std::string_view path) {
  for (std::string_view prefix : {"payload.", "subject.", "event."}) {
    if (path.starts_with(prefix)) return std::string(path.substr(prefix.size()));
  }
  return std::string(path);
}

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNumber: return "a number";
    case ValueKind::kString: return "text";
    case ValueKind::kBool: return "true or false";
    case ValueKind::kAny: return "a value";
  }
  return "a value";
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    std::size_t d = distance(word, c);
    if (d < best_distance || (best.empty() && word.size() >= 3 && c.starts_with(word))) {
      best_distance = std::min(d, best_distance);
      best = c;
    }
  }
  return best;
}

}  // namespace edfleet::rules
