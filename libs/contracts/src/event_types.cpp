#include "edfleet/contracts/event_types.h"

#include <map>

namespace edfleet::contracts {
namespace {

constexpr auto kNumber = FieldKind::kNumber;
constexpr auto kString = FieldKind::kString;
constexpr auto kBool = FieldKind::kBool;
using enum SubjectField;

std::vector<EventType> build() {
  std::vector<EventType> types;
  types.push_back({"xapi.statement", "xapi_statement", "", {kLearner}, kLearner, true,
                   {{"statement_json", kString}, {"version", kString}}, true});
  auto session = [&](std::string_view detail_type, std::string_view detail, std::vector<PayloadField> fields) {
    fields.push_back({"sequence", kNumber});
    types.push_back({detail_type, "class_session", detail, {kSession}, kSession, true, std::move(fields)});
  };
  session("session.scheduled", "scheduled",
          {{"starts_at", kNumber}, {"planned_minutes", kNumber}, {"title", kString}, {"host_id", kString}});
  session("session.started", "started", {{"host_id", kString}});
  session("session.participant_joined", "participant_joined",
          {{"participant_id", kString}, {"role", kString}, {"device", kString}});
  session("session.participant_left", "participant_left", {{"participant_id", kString}, {"reason", kString}});
  session("session.scene_changed", "scene_changed", {{"scene_id", kString}, {"scene_name", kString}});
  session("session.slide_changed", "slide_changed", {{"deck_id", kString}, {"slide_index", kNumber}});
  session("session.chat_message", "chat_message",
          {{"message_id", kString}, {"author_id", kString}, {"text", kString}});
  session("session.question_asked", "question_asked",
          {{"question_id", kString}, {"author_id", kString}, {"text", kString}});
  session("session.question_answered", "question_answered",
          {{"question_id", kString}, {"answerer_id", kString}, {"text", kString}});
  session("session.poll_created", "poll_created", {{"poll_id", kString}, {"question", kString}});
  session("session.poll_voted", "poll_voted",
          {{"poll_id", kString}, {"voter_id", kString}, {"option_index", kNumber}});
  session("session.poll_closed", "poll_closed", {{"poll_id", kString}});
  session("session.transcript_segment", "transcript_segment",
          {{"speaker_id", kString}, {"start_ms", kNumber}, {"end_ms", kNumber}, {"text", kString}});
  session("session.ended", "ended", {{"reason", kString}, {"duration_seconds", kNumber}});
  types.push_back({"quiz.submitted", "quiz_submission", "", {kLearner}, kLearner, true,
                   {{"quiz_id", kString}, {"attempt_id", kString}, {"score", kNumber}, {"max_score", kNumber},
                    {"passed", kBool}, {"duration_seconds", kNumber}}});
  types.push_back({"ops.session_started", "tutoring_session_started", "", {kLearner, kTutor}, kLearner, true,
                   {{"subject_area", kString}, {"first_session", kBool}, {"booked_for", kNumber}}});
  types.push_back({"ops.session_completed", "tutoring_session_completed", "", {kLearner, kTutor}, kLearner, true,
                   {{"subject_area", kString}, {"outcome", kString}, {"duration_minutes", kNumber},
                    {"rating", kNumber}, {"first_session", kBool}}});
  types.push_back({"ops.ib_call_logged", "ib_call_logged", "", {kLearner}, kLearner, true,
                   {{"call_id", kString}, {"reason", kString}, {"duration_seconds", kNumber}, {"sentiment", kString}}});
  types.push_back({"ops.tutor_availability_updated", "tutor_availability_updated", "", {kTutor}, kTutor, true,
                   {{"subject_area", kString}, {"weekday", kNumber}, {"hour", kNumber}, {"available_slots", kNumber}}});
  types.push_back({"ops.customer_health_update", "customer_health_update", "", {kLearner}, kLearner, true,
                   {{"health_score", kNumber}, {"session_velocity", kNumber}, {"ib_calls_30d", kNumber},
                    {"plan", kString}}});
  types.push_back({"ops.supply_demand_update", "supply_demand_update", "", {}, kLearner, false,
                   {{"subject_area", kString}, {"hour", kNumber}, {"open_requests", kNumber},
                    {"available_tutors", kNumber}}});
  return types;
}

}  // namespace

std::string_view subject_field_name(SubjectField field) {
  switch (field) {
    case kLearner: return "learner_id";
    case kTutor: return "tutor_id";
    case kSession: return "session_id";
    case kCourse: return "course_id";
  }
  return "";
}

const std::vector<EventType>& event_types() {
  static const std::vector<EventType> types = build();
  return types;
}

const EventType* find_event_type(std::string_view type) {
  static const std::map<std::string_view, const EventType*> index = [] {
    std::map<std::string_view, const EventType*> by_name;
    for (const auto& event_type : event_types()) by_name.emplace(event_type.type, &event_type);
    return by_name;
  }();
  const auto it = index.find(type);
  return it == index.end() ? nullptr : it->second;
}

const EventType* find_event_type_by_payload(std::string_view payload_case, std::string_view detail) {
  for (const auto& type : event_types()) {
    if (type.payload_case == payload_case && type.detail == detail) return &type;
  }
  return nullptr;
}

std::string_view SubjectIds::of(SubjectField field) const {
  switch (field) {
    case kLearner: return learner_id;
    case kTutor: return tutor_id;
    case kSession: return session_id;
    case kCourse: return course_id;
  }
  return {};
}

std::string_view partition_value(std::string_view type, const SubjectIds& subject, std::string_view event_id) {
  if (const auto* known = find_event_type(type); known != nullptr && known->partition_by_subject) {
    if (auto value = subject.of(known->partition_field); !value.empty()) return value;
  }
  for (auto field : {kLearner, kTutor, kSession, kCourse}) {
    if (auto value = subject.of(field); !value.empty()) return value;
  }
  return event_id;
}

std::string partition_key(std::string_view tenant, std::string_view type, const SubjectIds& subject,
                          std::string_view event_id) {
  std::string key(tenant);
  key += '/';
  key += partition_value(type, subject, event_id);
  return key;
}

bool is_session_type(std::string_view type) {
  const auto* known = find_event_type(type);
  return known != nullptr && known->payload_case == "class_session";
}

}  // namespace edfleet::contracts
