#include "domain/sim_event.h"

#include "domain/overloaded.h"

namespace edfleet::sim {

const char* class_detail_name(const ClassDetail& detail) {
  // Indexed like ClassDetail's alternatives (static_assert below keeps them in step).
  static constexpr const char* kNames[] = {
      "scheduled",    "started",        "participant_joined", "participant_left", "scene_changed",
      "slide_changed", "chat_message",  "question_asked",     "question_answered", "poll_created",
      "poll_voted",   "poll_closed",    "transcript_segment", "ended"};
  static_assert(std::size(kNames) == std::variant_size_v<ClassDetail>);
  return kNames[detail.index()];
}

std::string event_type(const SimPayload& payload) {
  return std::visit(
      Overloaded{
          [](const XapiStatement&) -> std::string { return "xapi.statement"; },
          [](const ClassSessionEvent& e) -> std::string { return std::string("session.") + class_detail_name(e.detail); },
          [](const QuizSubmission&) -> std::string { return "quiz.submitted"; },
          [](const TutoringSessionStarted&) -> std::string { return "ops.session_started"; },
          [](const TutoringSessionCompleted&) -> std::string { return "ops.session_completed"; },
          [](const IbCallLogged&) -> std::string { return "ops.ib_call_logged"; },
          [](const TutorAvailabilityUpdated&) -> std::string { return "ops.tutor_availability_updated"; },
          [](const CustomerHealthUpdate&) -> std::string { return "ops.customer_health_update"; },
          [](const SupplyDemandUpdate&) -> std::string { return "ops.supply_demand_update"; },
      },
      payload);
}

}  // namespace edfleet::sim
