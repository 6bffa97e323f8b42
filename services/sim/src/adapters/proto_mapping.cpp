#include "adapters/proto_mapping.h"

#include "domain/overloaded.h"

namespace edfleet::sim {

namespace {

namespace v1 = events::v1;

void set_time(google::protobuf::Timestamp* out, core::Timestamp t) {
  const auto micros = t.time_since_epoch().count();
  auto seconds = micros / 1000000;
  auto rest = micros % 1000000;
  if (rest < 0) {   // protobuf wants non-negative nanos
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<std::int32_t>(rest * 1000));
}

void fill_class_detail(v1::ClassSessionEvent* out, const ClassDetail& detail) {
  std::visit(Overloaded{
                 [&](const SessionScheduled& d) {
                   auto* m = out->mutable_scheduled();
                   set_time(m->mutable_starts_at(), d.starts_at);
                   m->set_planned_minutes(d.planned_minutes);
                   m->set_title(d.title);
                   m->set_host_id(d.host_id);
                 },
                 [&](const SessionStarted& d) { out->mutable_started()->set_host_id(d.host_id); },
                 [&](const ParticipantJoined& d) {
                   auto* m = out->mutable_participant_joined();
                   m->set_participant_id(d.participant_id);
                   m->set_role(d.role);
                   m->set_device(d.device);
                 },
                 [&](const ParticipantLeft& d) {
                   auto* m = out->mutable_participant_left();
                   m->set_participant_id(d.participant_id);
                   m->set_reason(d.reason);
                 },
                 [&](const SceneChanged& d) {
                   auto* m = out->mutable_scene_changed();
                   m->set_scene_id(d.scene_id);
                   m->set_scene_name(d.scene_name);
                 },
                 [&](const SlideChanged& d) {
                   auto* m = out->mutable_slide_changed();
                   m->set_deck_id(d.deck_id);
                   m->set_slide_index(d.slide_index);
                 },
                 [&](const ChatMessage& d) {
                   auto* m = out->mutable_chat_message();
                   m->set_message_id(d.message_id);
                   m->set_author_id(d.author_id);
                   m->set_text(d.text);
                 },
                 [&](const QuestionAsked& d) {
                   auto* m = out->mutable_question_asked();
                   m->set_question_id(d.question_id);
                   m->set_author_id(d.author_id);
                   m->set_text(d.text);
                 },
                 [&](const QuestionAnswered& d) {
                   auto* m = out->mutable_question_answered();
                   m->set_question_id(d.question_id);
                   m->set_answerer_id(d.answerer_id);
                   m->set_text(d.text);
                 },
                 [&](const PollCreated& d) {
                   auto* m = out->mutable_poll_created();
                   m->set_poll_id(d.poll_id);
                   m->set_question(d.question);
                   for (const auto& option : d.options) m->add_options(option);
                 },
                 [&](const PollVoted& d) {
                   auto* m = out->mutable_poll_voted();
                   m->set_poll_id(d.poll_id);
                   m->set_voter_id(d.voter_id);
                   m->set_option_index(d.option_index);
                 },
                 [&](const PollClosed& d) { out->mutable_poll_closed()->set_poll_id(d.poll_id); },
                 [&](const TranscriptSegment& d) {
                   auto* m = out->mutable_transcript_segment();
                   m->set_speaker_id(d.speaker_id);
                   m->set_start_ms(d.start_ms);
                   m->set_end_ms(d.end_ms);
                   m->set_text(d.text);
                 },
                 [&](const SessionEnded& d) {
                   auto* m = out->mutable_ended();
                   m->set_reason(d.reason);
                   m->set_duration_seconds(d.duration_seconds);
                 },
             },
             detail);
}

void fill_payload(v1::Event& out, const SimPayload& payload) {
  std::visit(Overloaded{
                 [&](const XapiStatement& p) {
                   auto* m = out.mutable_xapi_statement();
                   m->set_statement_json(p.statement_json);
                   m->set_version(p.version);
                 },
                 [&](const ClassSessionEvent& p) {
                   auto* m = out.mutable_class_session();
                   m->set_sequence(p.sequence);
                   fill_class_detail(m, p.detail);
                 },
                 [&](const QuizSubmission& p) {
                   auto* m = out.mutable_quiz_submission();
                   m->set_quiz_id(p.quiz_id);
                   m->set_attempt_id(p.attempt_id);
                   m->set_score(p.score);
                   m->set_max_score(p.max_score);
                   m->set_passed(p.passed);
                   m->set_duration_seconds(p.duration_seconds);
                   for (const auto& q : p.questions) {
                     auto* r = m->add_questions();
                     r->set_question_id(q.question_id);
                     r->set_correct(q.correct);
                     r->set_points(q.points);
                   }
                 },
                 [&](const TutoringSessionStarted& p) {
                   auto* m = out.mutable_tutoring_session_started();
                   m->set_subject_area(p.subject_area);
                   m->set_first_session(p.first_session);
                   set_time(m->mutable_booked_for(), p.booked_for);
                 },
                 [&](const TutoringSessionCompleted& p) {
                   auto* m = out.mutable_tutoring_session_completed();
                   m->set_subject_area(p.subject_area);
                   m->set_outcome(p.outcome);
                   m->set_duration_minutes(p.duration_minutes);
                   m->set_rating(p.rating);
                   m->set_first_session(p.first_session);
                 },
                 [&](const IbCallLogged& p) {
                   auto* m = out.mutable_ib_call_logged();
                   m->set_call_id(p.call_id);
                   m->set_reason(p.reason);
                   m->set_duration_seconds(p.duration_seconds);
                   m->set_sentiment(p.sentiment);
                 },
                 [&](const TutorAvailabilityUpdated& p) {
                   auto* m = out.mutable_tutor_availability_updated();
                   m->set_subject_area(p.subject_area);
                   m->set_weekday(p.weekday);
                   m->set_hour(p.hour);
                   m->set_available_slots(p.available_slots);
                 },
                 [&](const CustomerHealthUpdate& p) {
                   auto* m = out.mutable_customer_health_update();
                   m->set_health_score(p.health_score);
                   m->set_session_velocity(p.session_velocity);
                   m->set_ib_calls_30d(p.ib_calls_30d);
                   m->set_plan(p.plan);
                 },
                 [&](const SupplyDemandUpdate& p) {
                   auto* m = out.mutable_supply_demand_update();
                   m->set_subject_area(p.subject_area);
                   m->set_hour(p.hour);
                   m->set_open_requests(p.open_requests);
                   m->set_available_tutors(p.available_tutors);
                 },
             },
             payload);
}

}  // namespace

events::v1::Event to_proto(const SimEvent& event) {
  v1::Event out;
  out.set_id(event.id);
  out.set_tenant(event.tenant);
  out.set_type(event_type(event));
  out.set_source(event.source);
  auto* subject = out.mutable_subject();
  subject->set_learner_id(event.subject.learner_id);
  subject->set_tutor_id(event.subject.tutor_id);
  subject->set_session_id(event.subject.session_id);
  subject->set_course_id(event.subject.course_id);
  set_time(out.mutable_occurred_at(), event.occurred_at);
  fill_payload(out, event.payload);
  return out;
}

}  // namespace edfleet::sim
