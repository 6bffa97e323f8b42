#include "domain/event_types.h"

#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace edfleet::ingest {
namespace {

std::string payload_path(std::string_view path) { return "payload." + std::string(path); }

Rejection missing(std::string_view path, std::string_view what) {
  return {RejectReason::kMissingField, payload_path(path),
          "Set " + payload_path(path) + " (" + std::string(what) + ")."};
}

Rejection invalid(std::string_view path, std::string message) {
  return {RejectReason::kInvalidField, payload_path(path), std::move(message)};
}

bool is_set(const Payload& payload, std::string_view path) {
  const FieldValue* value = payload.find(path);
  if (value == nullptr) return false;
  if (const auto* text = std::get_if<std::string>(value)) return !text->empty();
  return true;
}

// A field that must be set: a non-empty string, a present message or timestamp.
PayloadRule required(std::string path, std::string what) {
  std::string description = path + " is required (" + what + ")";
  return {std::move(description), [path, what](const Payload& payload) -> std::optional<Rejection> {
            if (is_set(payload, path)) return std::nullopt;
            return missing(path, what);
          }};
}

// A number within [low, high]; absent counts as 0, as in proto3.
PayloadRule range(std::string path, double low, double high) {
  std::string description = path + " in " + format_number(low) + ".." + format_number(high);
  return {std::move(description), [path, low, high](const Payload& payload) -> std::optional<Rejection> {
            const auto value = number_at(payload, path);
            if (!value || (*value >= low && *value <= high)) return std::nullopt;
            return invalid(path, payload_path(path) + " must be between " + format_number(low) + " and " +
                                     format_number(high) + "; got " + format_number(*value) + ".");
          }};
}

PayloadRule positive(std::string path, std::string what) {
  std::string description = path + " > 0";
  return {std::move(description), [path, what](const Payload& payload) -> std::optional<Rejection> {
            const auto value = number_at(payload, path);
            if (!value || *value > 0) return std::nullopt;
            return invalid(path, payload_path(path) + " must be greater than 0 (" + what + "); got " +
                                     format_number(*value) + ".");
          }};
}

PayloadRule non_negative(std::string path) {
  std::string description = path + " >= 0";
  return {std::move(description), [path](const Payload& payload) -> std::optional<Rejection> {
            const auto value = number_at(payload, path);
            if (!value || *value >= 0) return std::nullopt;
            return invalid(path, payload_path(path) + " must not be negative; got " + format_number(*value) + ".");
          }};
}

// A string that, when set, is one of `allowed` (when `required_too`, it must also be set).
PayloadRule one_of(std::string path, std::vector<std::string> allowed, bool required_too = false) {
  std::string list;
  for (const auto& value : allowed) list += (list.empty() ? "" : ", ") + value;
  std::string description = path + (required_too ? " is required, one of " : " when set is one of ") + list;
  return {std::move(description),
          [path, allowed, list, required_too](const Payload& payload) -> std::optional<Rejection> {
            const std::string_view value = string_at(payload, path);
            if (value.empty()) {
              if (!required_too) return std::nullopt;
              return missing(path, "one of " + list);
            }
            for (const auto& option : allowed) {
              if (value == option) return std::nullopt;
            }
            return invalid(path, payload_path(path) + " must be one of " + list + "; got \"" + std::string(value) +
                                     "\".");
          }};
}

// Each element of the repeated message at `path` has `sub` set.
PayloadRule each_requires(std::string path, std::string sub, std::string what) {
  std::string description = path + "[*]." + sub + " is required (" + what + ")";
  return {std::move(description), [path, sub, what](const Payload& payload) -> std::optional<Rejection> {
            const std::size_t count = count_at(payload, path);
            for (std::size_t i = 0; i < count; ++i) {
              const std::string element = path + "[" + std::to_string(i) + "]." + sub;
              if (!is_set(payload, element)) return missing(element, what);
            }
            return std::nullopt;
          }};
}

PayloadRule min_count(std::string path, std::size_t minimum, std::string what) {
  std::string description = path + " has at least " + std::to_string(minimum) + " elements";
  return {std::move(description), [path, minimum, what](const Payload& payload) -> std::optional<Rejection> {
            const std::size_t count = count_at(payload, path);
            if (count >= minimum) return std::nullopt;
            Rejection rejection = invalid(path, payload_path(path) + " needs at least " + std::to_string(minimum) +
                                                    " " + what + "; got " + std::to_string(count) + ".");
            if (count == 0) rejection.reason = RejectReason::kMissingField;
            return rejection;
          }};
}

// score may not exceed max_score (both already checked for sign).
PayloadRule score_within_max() {
  return {"quiz_submission.score <= quiz_submission.max_score", [](const Payload& payload) -> std::optional<Rejection> {
            const double score = number_at(payload, "quiz_submission.score").value_or(0);
            const double max = number_at(payload, "quiz_submission.max_score").value_or(0);
            if (score <= max) return std::nullopt;
            return invalid("quiz_submission.score", "payload.quiz_submission.score must be between 0 and max_score (" +
                                                        format_number(max) + "); got " + format_number(score) + ".");
          }};
}

PayloadRule ends_after_start(std::string base) {
  return {base + ".end_ms >= " + base + ".start_ms", [base](const Payload& payload) -> std::optional<Rejection> {
            const double start = number_at(payload, base + ".start_ms").value_or(0);
            const double end = number_at(payload, base + ".end_ms").value_or(0);
            if (end >= start) return std::nullopt;
            return invalid(base + ".end_ms", payload_path(base + ".end_ms") + " (" + format_number(end) +
                                                 ") must not be before start_ms (" + format_number(start) + ").");
          }};
}

// The minimal shape of an xAPI statement; full xAPI validation is a later issue.
PayloadRule xapi_statement_shape() {
  return {"xapi_statement.statement_json is a JSON object with actor, verb.id and object",
          [](const Payload& payload) -> std::optional<Rejection> {
            const std::string path = "xapi_statement.statement_json";
            const std::string_view text = string_at(payload, path);
            if (text.empty()) return missing(path, "the xAPI statement as JSON text");
            const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
            if (json.is_discarded()) {
              return invalid(path, "payload.xapi_statement.statement_json is not valid JSON; send one xAPI statement "
                                   "object.");
            }
            if (!json.is_object()) {
              return invalid(path, "payload.xapi_statement.statement_json must be a JSON object (one xAPI statement).");
            }
            if (!json.contains("actor") || !json["actor"].is_object()) {
              return invalid(path, "The xAPI statement needs an \"actor\" object (who did it).");
            }
            if (!json.contains("verb") || !json["verb"].is_object()) {
              return invalid(path, "The xAPI statement needs a \"verb\" object with an \"id\" IRI.");
            }
            const auto& verb = json["verb"];
            if (!verb.contains("id") || !verb["id"].is_string() || verb["id"].get<std::string>().empty()) {
              return invalid(path, "The xAPI statement's \"verb\" needs an \"id\" (an IRI such as "
                                   "http://adlnet.gov/expapi/verbs/completed).");
            }
            if (!json.contains("object") || !json["object"].is_object()) {
              return invalid(path, "The xAPI statement needs an \"object\" (what was acted on).");
            }
            return std::nullopt;
          }};
}

// "1.0", "1.0.3", "2.0", "2.0.0": the xAPI versions edfleet understands.
PayloadRule xapi_version() {
  return {"xapi_statement.version when set is 1.0[.x] or 2.0[.x]", [](const Payload& payload) -> std::optional<Rejection> {
            const std::string_view version = string_at(payload, "xapi_statement.version");
            if (version.empty()) return std::nullopt;
            auto digits_only = [](std::string_view s) {
              if (s.empty()) return false;
              for (char c : s) {
                if (c < '0' || c > '9') return false;
              }
              return true;
            };
            const bool ok = (version.starts_with("1.0") || version.starts_with("2.0")) &&
                            (version.size() == 3 || (version[3] == '.' && digits_only(version.substr(4))));
            if (ok) return std::nullopt;
            return invalid("xapi_statement.version", "payload.xapi_statement.version must be an xAPI version such as "
                                                     "\"1.0.3\" or \"2.0.0\"; got \"" + std::string(version) + "\".");
          }};
}

// Ingest's schema checks per type. The types themselves, their payload, detail and required subject
// ids are the contract's (libs/contracts); build_specs joins the two.
std::map<std::string, std::vector<PayloadRule>, std::less<>> payload_rules() {
  const std::string cs = "class_session.";
  std::map<std::string, std::vector<PayloadRule>, std::less<>> rules;

  rules["xapi.statement"] = {xapi_statement_shape(), xapi_version()};

  rules["session.scheduled"] = {required(cs + "scheduled.starts_at", "when the session starts"),
                                             range(cs + "scheduled.planned_minutes", 0, 24 * 60)};
  rules["session.started"] = {};
  rules["session.participant_joined"] = {required(cs + "participant_joined.participant_id", "who joined"),
                                one_of(cs + "participant_joined.role", {"host", "learner", "observer"}),
                                one_of(cs + "participant_joined.device", {"web", "mobile", "vr", "mr"})};
  rules["session.participant_left"] = {required(cs + "participant_left.participant_id", "who left"),
                                one_of(cs + "participant_left.reason", {"left", "disconnected", "removed"})};
  rules["session.scene_changed"] = {required(cs + "scene_changed.scene_id", "the new scene")};
  rules["session.slide_changed"] = {required(cs + "slide_changed.deck_id", "the slide deck")};
  rules["session.chat_message"] = {required(cs + "chat_message.message_id", "the message's id"),
                                                required(cs + "chat_message.author_id", "who wrote it"),
                                                required(cs + "chat_message.text", "the message text")};
  rules["session.question_asked"] = {required(cs + "question_asked.question_id", "the question's id"),
                                                  required(cs + "question_asked.author_id", "who asked"),
                                                  required(cs + "question_asked.text", "the question text")};
  rules["session.question_answered"] = {required(cs + "question_answered.question_id", "the question answered"),
                                required(cs + "question_answered.answerer_id", "who answered"),
                                required(cs + "question_answered.text", "the answer text")};
  rules["session.poll_created"] = {required(cs + "poll_created.poll_id", "the poll's id"),
                                                required(cs + "poll_created.question", "the poll question"),
                                                min_count(cs + "poll_created.options", 2, "options")};
  rules["session.poll_voted"] = {required(cs + "poll_voted.poll_id", "the poll voted in"),
                                              required(cs + "poll_voted.voter_id", "who voted")};
  rules["session.poll_closed"] = {required(cs + "poll_closed.poll_id", "the poll closed")};
  rules["session.transcript_segment"] = {required(cs + "transcript_segment.speaker_id", "who spoke"),
                                required(cs + "transcript_segment.text", "what was said"),
                                ends_after_start(cs + "transcript_segment")};
  rules["session.ended"] = {};

  rules["quiz.submitted"] = {required("quiz_submission.quiz_id", "the quiz's id"),
                    positive("quiz_submission.max_score", "the most points possible"),
                    non_negative("quiz_submission.score"), score_within_max(),
                    each_requires("quiz_submission.questions", "question_id", "the question's id")};

  rules["ops.session_started"] = {required("tutoring_session_started.subject_area", "e.g. \"algebra\"")};
  rules["ops.session_completed"] = {required("tutoring_session_completed.subject_area", "e.g. \"algebra\""),
                    one_of("tutoring_session_completed.outcome",
                           {"completed", "no_show_learner", "no_show_tutor", "cancelled", "failed"}, true),
                    range("tutoring_session_completed.rating", 0, 5)};
  rules["ops.ib_call_logged"] = {required("ib_call_logged.call_id", "the call's id"),
                    one_of("ib_call_logged.reason",
                           {"billing", "scheduling", "technical", "quality", "cancel_request", "other"}),
                    one_of("ib_call_logged.sentiment", {"positive", "neutral", "negative"})};
  rules["ops.tutor_availability_updated"] = {required("tutor_availability_updated.subject_area", "e.g. \"algebra\""),
                    range("tutor_availability_updated.weekday", 0, 6),
                    range("tutor_availability_updated.hour", 0, 23)};
  rules["ops.customer_health_update"] = {range("customer_health_update.health_score", 0, 100),
                    non_negative("customer_health_update.session_velocity")};
  rules["ops.supply_demand_update"] = {required("supply_demand_update.subject_area", "e.g. \"algebra\""),
                    range("supply_demand_update.hour", 0, 23)};
  return rules;
}

std::vector<EventTypeSpec> build_specs() {
  auto rules = payload_rules();
  std::vector<EventTypeSpec> specs;
  for (const auto& contract : contracts::event_types()) {
    const auto found = rules.find(contract.type);
    specs.push_back({std::string(contract.type), std::string(contract.payload_case), std::string(contract.detail),
                     contract.required_subject,
                     found == rules.end() ? std::vector<PayloadRule>() : std::move(found->second)});
    if (found != rules.end()) rules.erase(found);
  }
  // A rule for a type the contract lacks is a programming error: the contract is the one list.
  if (!rules.empty()) throw std::logic_error("payload rules for a type not in libs/contracts: " + rules.begin()->first);
  return specs;
}

}  // namespace

const std::string& subject_value(const Subject& subject, SubjectField field) {
  switch (field) {
    case SubjectField::kLearner: return subject.learner_id;
    case SubjectField::kTutor: return subject.tutor_id;
    case SubjectField::kSession: return subject.session_id;
    case SubjectField::kCourse: return subject.course_id;
  }
  return subject.learner_id;
}

const std::vector<EventTypeSpec>& event_type_specs() {
  static const std::vector<EventTypeSpec> specs = build_specs();
  return specs;
}

const EventTypeSpec* find_event_type(std::string_view type) {
  static const std::map<std::string, const EventTypeSpec*, std::less<>> index = [] {
    std::map<std::string, const EventTypeSpec*, std::less<>> m;
    for (const auto& spec : event_type_specs()) m.emplace(spec.type, &spec);
    return m;
  }();
  const auto it = index.find(type);
  return it == index.end() ? nullptr : it->second;
}

std::string format_number(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::optional<double> number_at(const Payload& payload, std::string_view path) {
  const FieldValue* value = payload.find(path);
  if (value == nullptr) return 0.0;
  if (const auto* v = std::get_if<double>(value)) return *v;
  if (const auto* v = std::get_if<std::int64_t>(value)) return static_cast<double>(*v);
  if (const auto* v = std::get_if<std::uint64_t>(value)) return static_cast<double>(*v);
  return std::nullopt;
}

std::string_view string_at(const Payload& payload, std::string_view path) {
  const FieldValue* value = payload.find(path);
  if (value == nullptr) return {};
  if (const auto* text = std::get_if<std::string>(value)) return *text;
  return {};
}

std::size_t count_at(const Payload& payload, std::string_view path) {
  std::size_t count = 0;
  for (const auto& field : payload.fields) {
    const std::string_view p = field.path;
    if (p.size() > path.size() + 2 && p.starts_with(path) && p[path.size()] == '[' && p.back() == ']' &&
        p.find('.', path.size()) == std::string_view::npos) {
      ++count;
    }
  }
  return count;
}

}  // namespace edfleet::ingest
