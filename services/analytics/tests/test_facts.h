// Helpers that build EventFacts for the unit tests.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "domain/event_fact.h"
#include "edfleet/core/time_format.h"

namespace edfleet::analytics::testing {

inline core::Timestamp at(std::string_view rfc3339) {
  auto t = core::parse_rfc3339(rfc3339);
  if (!t) throw std::invalid_argument("bad timestamp in test: " + std::string(rfc3339));
  return *t;
}

// Event ids: the n-th UUID of a tenant-independent sequence.
inline std::string event_id(int n) {
  std::string digits = std::to_string(n);
  return "00000000-0000-4000-8000-" + std::string(12 - digits.size(), '0') + digits;
}

inline EventFact fact(std::string tenant, int id, std::string type, std::string_view occurred_at,
                      std::string learner = {}) {
  EventFact f;
  f.tenant = std::move(tenant);
  f.event_id = event_id(id);
  f.type = std::move(type);
  f.occurred_at = at(occurred_at);
  f.learner_id = std::move(learner);
  return f;
}

inline EventFact quiz(std::string tenant, int id, std::string_view occurred_at, std::string learner,
                      std::optional<double> percent) {
  auto f = fact(std::move(tenant), id, "quiz.submitted", occurred_at, std::move(learner));
  f.quiz_percent = percent;
  return f;
}

inline EventFact tutoring_completed(std::string tenant, int id, std::string_view occurred_at,
                                    std::string learner, std::string outcome) {
  auto f = fact(std::move(tenant), id, "ops.session_completed", occurred_at, std::move(learner));
  f.tutoring_outcome = std::move(outcome);
  return f;
}

}  // namespace edfleet::analytics::testing
