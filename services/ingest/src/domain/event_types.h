// The event types ingest accepts: the contract's (libs/contracts: payload case, detail, required
// subject ids) joined with ingest's schema rules for each payload. Validation walks this table;
// adding a type means adding it to event.proto and libs/contracts (a test checks the two agree),
// and its payload rules here.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/event.h"
#include "edfleet/contracts/event_types.h"
#include "domain/outcome.h"

namespace edfleet::ingest {

using contracts::SubjectField;
using contracts::subject_field_name;
const std::string& subject_value(const Subject& subject, SubjectField field);

// One schema check of a payload. `check` returns a Rejection whose field path starts with
// "payload.", or nullopt when the payload passes.
struct PayloadRule {
  std::string description;
  std::function<std::optional<Rejection>(const Payload&)> check;
};

struct EventTypeSpec {
  std::string type;                          // "quiz.submitted"
  std::string payload_kind;                  // the Event.payload case it requires: "quiz_submission"
  std::string detail;                        // for session.*: the ClassSessionEvent.detail case
  std::vector<SubjectField> required_subject;
  std::vector<PayloadRule> rules;
};

// Every known type, in a stable order.
const std::vector<EventTypeSpec>& event_type_specs();
// The spec of `type`, or nullptr when the type is unknown.
const EventTypeSpec* find_event_type(std::string_view type);

// Formats a number the way messages show it: shortest round-trip form ("12", "0.5").
std::string format_number(double value);
// The numeric value of a field (0 when absent, as proto3 defaults), or nullopt for a non-number.
std::optional<double> number_at(const Payload& payload, std::string_view path);
// The string at `path`, empty when absent.
std::string_view string_at(const Payload& payload, std::string_view path);
// How many elements the repeated field at `path` has ("path[0]", "path[1]", ...).
std::size_t count_at(const Payload& payload, std::string_view path);

}  // namespace edfleet::ingest
