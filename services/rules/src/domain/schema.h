// The event catalogue as the rule language sees it: each event type, the fields a rule may use
// (with their kinds), and which subject id Kafka partitions it by. Derived from the event contract
// (libs/contracts), the one definition ingest validates against.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edfleet::rules {

enum class ValueKind { kNumber, kString, kBool, kAny };

struct FieldSpec {
  std::string_view name;
  ValueKind kind;
};

struct EventTypeSpec {
  std::string_view type;
  // The subject field that decides the Kafka partition ("" = none: spread by event id).
  std::string_view partition_key;
  std::vector<FieldSpec> fields;   // payload fields, flattened (class_session details: their fields)
  bool free_form = false;          // xapi.statement: any `statement.…` path (JSON), kind any
};

const std::vector<EventTypeSpec>& event_types();
const EventTypeSpec* find_event_type(std::string_view type);
// Envelope fields every type has: id, type, source, learner_id, tutor_id, session_id, course_id,
// and day (the UTC day of occurred_at, "YYYY-MM-DD").
const std::vector<FieldSpec>& envelope_fields();
// A field of `type` by canonical name (envelope or payload), or nullptr. For xapi.statement any
// "statement.…" path is a kAny field.
const FieldSpec* find_field(const EventTypeSpec& type, std::string_view name);
// Drops the optional "payload." / "subject." / "event." prefix.
std::string canonical_path(std::string_view path);
const char* kind_name(ValueKind kind);
// The closest of `candidates` to `word` (edit distance <= 2 or a prefix), or "".
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace edfleet::rules
