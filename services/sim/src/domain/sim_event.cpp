#include "domain/sim_event.h"

#include "domain/overloaded.h"
#include "edfleet/contracts/event_types.h"

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
  // The payload case (the proto field of Event.payload) names the type in the event contract.
  const auto [payload_case, detail] = std::visit(
      Overloaded{
          [](const XapiStatement&) { return std::pair<std::string_view, std::string_view>{"xapi_statement", {}}; },
          [](const ClassSessionEvent& e) {
            return std::pair<std::string_view, std::string_view>{"class_session", class_detail_name(e.detail)};
          },
          [](const QuizSubmission&) { return std::pair<std::string_view, std::string_view>{"quiz_submission", {}}; },
          [](const TutoringSessionStarted&) {
            return std::pair<std::string_view, std::string_view>{"tutoring_session_started", {}};
          },
          [](const TutoringSessionCompleted&) {
            return std::pair<std::string_view, std::string_view>{"tutoring_session_completed", {}};
          },
          [](const IbCallLogged&) { return std::pair<std::string_view, std::string_view>{"ib_call_logged", {}}; },
          [](const TutorAvailabilityUpdated&) {
            return std::pair<std::string_view, std::string_view>{"tutor_availability_updated", {}};
          },
          [](const CustomerHealthUpdate&) {
            return std::pair<std::string_view, std::string_view>{"customer_health_update", {}};
          },
          [](const SupplyDemandUpdate&) {
            return std::pair<std::string_view, std::string_view>{"supply_demand_update", {}};
          },
      },
      payload);
  const auto* type = contracts::find_event_type_by_payload(payload_case, detail);
  return type == nullptr ? std::string() : std::string(type->type);
}

}  // namespace edfleet::sim
