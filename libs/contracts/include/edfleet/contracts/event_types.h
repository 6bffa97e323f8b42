// The event contract, stated once: every event type edfleet carries, the payload it must have, the
// subject ids it requires, its payload fields and their kinds, and the subject id Kafka partitions it
// by. Ingest validates against it, rules types its language with it, the simulator and benchmarks
// generate from it; a test checks it against proto/edfleet/events/v1/event.proto both ways, so a type
// added to the proto without an entry here fails the build's tests.
//
// Partition key ("<tenant>/<value>", docs/topics.md): the type's partition field when it is set,
// else the first non-empty of learner_id, tutor_id, session_id, course_id, else the event id. Every
// session.* event is keyed by session_id (which it requires), so one live class is one partition, in
// order, whichever learner ids its events also carry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edfleet::contracts {

enum class SubjectField { kLearner, kTutor, kSession, kCourse };

// "learner_id", "tutor_id", "session_id", "course_id".
std::string_view subject_field_name(SubjectField field);

// How a payload field reads in rules and analytics: numbers (every numeric proto type, and
// timestamps as seconds), strings, booleans; kAny for free-form JSON paths (xAPI statements).
enum class FieldKind { kNumber, kString, kBool, kAny };

struct PayloadField {
  std::string_view name;  // the proto field name within the payload (session.*: within the detail)
  FieldKind kind;
};

struct EventType {
  std::string_view type;            // "quiz.submitted"
  std::string_view payload_case;    // the Event.payload oneof case it carries: "quiz_submission"
  std::string_view detail;          // session.*: the ClassSessionEvent.detail case ("chat_message")
  std::vector<SubjectField> required_subject;
  SubjectField partition_field;     // see the partition key rule above
  bool partition_by_subject = true; // false: no subject decides (spread by event id unless one is set)
  std::vector<PayloadField> fields; // scalar payload fields (session.*: the detail's, then `sequence`)
  bool free_form = false;           // xapi.statement: any `statement.…` JSON path, kind kAny
};

// Every type, in a stable order (xapi, session.*, quiz, ops.*).
const std::vector<EventType>& event_types();
// The type named `type`, or nullptr.
const EventType* find_event_type(std::string_view type);
// The type carrying payload case `payload_case` (and, for class_session, detail `detail`), or nullptr.
const EventType* find_event_type_by_payload(std::string_view payload_case, std::string_view detail = {});

// The subject ids of an event, by field.
struct SubjectIds {
  std::string_view learner_id;
  std::string_view tutor_id;
  std::string_view session_id;
  std::string_view course_id;
  std::string_view of(SubjectField field) const;
};

// The value after "<tenant>/" in the event's Kafka key, by the rule above (`type` may be unknown:
// then the fallback chain alone decides).
std::string_view partition_value(std::string_view type, const SubjectIds& subject, std::string_view event_id);
// "<tenant>/<partition_value>".
std::string partition_key(std::string_view tenant, std::string_view type, const SubjectIds& subject,
                          std::string_view event_id);

// True for the live-class lifecycle types ("session.<detail>"), whose per-session `sequence` ingest
// keeps unique (a (tenant, session_id, sequence) names one event).
bool is_session_type(std::string_view type);

}  // namespace edfleet::contracts
