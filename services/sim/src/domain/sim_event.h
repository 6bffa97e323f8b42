// One simulated event, in the simulator's own terms: the envelope of edfleet.events.v1.Event and one
// typed payload, as plain structs. The domain stays free of protobuf; adapters/proto_mapping turns a
// SimEvent into the proto that is sent or written. The event type string is derived from the payload
// (event_type()), so a type and its payload can never disagree.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "edfleet/core/clock.h"

namespace edfleet::sim {

struct SimSubject {
  std::string learner_id;
  std::string tutor_id;
  std::string session_id;
  std::string course_id;
};

struct XapiStatement {
  std::string statement_json;
  std::string version;
};

// Live-class details (session.<name>).
struct SessionScheduled {
  core::Timestamp starts_at;
  std::uint32_t planned_minutes = 0;
  std::string title;
  std::string host_id;
};
struct SessionStarted { std::string host_id; };
struct ParticipantJoined { std::string participant_id, role, device; };
struct ParticipantLeft { std::string participant_id, reason; };
struct SceneChanged { std::string scene_id, scene_name; };
struct SlideChanged { std::string deck_id; std::uint32_t slide_index = 0; };
struct ChatMessage { std::string message_id, author_id, text; };
struct QuestionAsked { std::string question_id, author_id, text; };
struct QuestionAnswered { std::string question_id, answerer_id, text; };
struct PollCreated { std::string poll_id, question; std::vector<std::string> options; };
struct PollVoted { std::string poll_id, voter_id; std::uint32_t option_index = 0; };
struct PollClosed { std::string poll_id; };
struct TranscriptSegment { std::string speaker_id; std::uint32_t start_ms = 0, end_ms = 0; std::string text; };
struct SessionEnded { std::string reason; std::uint32_t duration_seconds = 0; };

using ClassDetail = std::variant<SessionScheduled, SessionStarted, ParticipantJoined, ParticipantLeft, SceneChanged,
                                 SlideChanged, ChatMessage, QuestionAsked, QuestionAnswered, PollCreated, PollVoted,
                                 PollClosed, TranscriptSegment, SessionEnded>;

struct ClassSessionEvent {
  std::uint64_t sequence = 0;   // 1, 2, 3... within one live session
  ClassDetail detail;
};

struct QuestionResult { std::string question_id; bool correct = false; double points = 0; };
struct QuizSubmission {
  std::string quiz_id, attempt_id;
  double score = 0, max_score = 0;
  bool passed = false;
  std::uint32_t duration_seconds = 0;
  std::vector<QuestionResult> questions;
};

// Tutoring marketplace operations.
struct TutoringSessionStarted { std::string subject_area; bool first_session = false; core::Timestamp booked_for; };
struct TutoringSessionCompleted {
  std::string subject_area, outcome;   // completed | no_show_learner | no_show_tutor | cancelled | failed
  std::uint32_t duration_minutes = 0, rating = 0;
  bool first_session = false;
};
struct IbCallLogged { std::string call_id, reason; std::uint32_t duration_seconds = 0; std::string sentiment; };
struct TutorAvailabilityUpdated { std::string subject_area; std::uint32_t weekday = 0, hour = 0, available_slots = 0; };
struct CustomerHealthUpdate { double health_score = 0, session_velocity = 0; std::uint32_t ib_calls_30d = 0; std::string plan; };
struct SupplyDemandUpdate { std::string subject_area; std::uint32_t hour = 0, open_requests = 0, available_tutors = 0; };

using SimPayload = std::variant<XapiStatement, ClassSessionEvent, QuizSubmission, TutoringSessionStarted,
                                TutoringSessionCompleted, IbCallLogged, TutorAvailabilityUpdated, CustomerHealthUpdate,
                                SupplyDemandUpdate>;

struct SimEvent {
  std::string id;        // UUID
  std::string tenant;
  std::string source;
  SimSubject subject;
  core::Timestamp occurred_at;
  SimPayload payload;
};

// The Event.type the payload needs, e.g. "xapi.statement", "session.poll_voted", "ops.ib_call_logged".
std::string event_type(const SimPayload& payload);
inline std::string event_type(const SimEvent& event) { return event_type(event.payload); }

// The detail's name as used in "session.<name>", e.g. "participant_joined".
const char* class_detail_name(const ClassDetail& detail);

}  // namespace edfleet::sim
