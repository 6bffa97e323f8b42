#include "transport/event_mapping.h"

#include <cmath>
#include <string>

namespace edfleet::analytics {

namespace {

core::Timestamp to_timestamp(const google::protobuf::Timestamp& t) {
  return core::Timestamp{std::chrono::seconds{t.seconds()} +
                         std::chrono::microseconds{t.nanos() / 1000}};
}

std::string lowercase(std::string text) {
  for (auto& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace

core::Result<EventFact> to_event_fact(const events::v1::Event& event) {
  EventFact fact;
  fact.tenant = event.tenant();
  fact.event_id = lowercase(event.id());
  fact.type = event.type();
  if (event.has_occurred_at()) {
    fact.occurred_at = to_timestamp(event.occurred_at());
  } else if (event.has_received_at()) {
    fact.occurred_at = to_timestamp(event.received_at());
  } else {
    return core::Error::invalid("occurred_at is required", "occurred_at");
  }
  fact.learner_id = event.subject().learner_id();

  if (event.has_quiz_submission()) {
    const auto& quiz = event.quiz_submission();
    if (quiz.max_score() > 0 && std::isfinite(quiz.max_score()) && std::isfinite(quiz.score())) {
      fact.quiz_percent = quiz.score() / quiz.max_score() * 100.0;
    }
  }
  if (event.has_tutoring_session_completed()) {
    fact.tutoring_outcome = event.tutoring_session_completed().outcome();
  }

  if (auto valid = validate_fact(fact); !valid) return valid.error();
  return fact;
}

core::Result<EventFact> parse_event_fact(std::string_view value) {
  events::v1::Event event;
  if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return core::Error::invalid("not a serialized edfleet.events.v1.Event");
  }
  return to_event_fact(event);
}

}  // namespace edfleet::analytics
