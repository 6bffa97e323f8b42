// The engine's view of one event: envelope fields plus the payload flattened into (field, value)
// pairs. The transport builds it from edfleet.events.v1.Event (protobuf reflection, xAPI JSON), the
// tests and benchmarks build it directly. Field names are interned to small integers once, so the
// compiled rules look fields up without comparing strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edfleet/core/clock.h"

namespace edfleet::rules {

using FieldId = std::uint32_t;

// The id of a field path ("score", "statement.verb.id", "learner_id"); the same path always gets
// the same id within a process. Thread-safe.
FieldId field_id(std::string_view path);
// The path of an id (for messages).
std::string field_path(FieldId id);

struct Value {
  enum class Kind : std::uint8_t { kNull, kNumber, kString, kBool };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;

  static Value of(double v) { Value x; x.kind = Kind::kNumber; x.number = v; return x; }
  static Value of(bool v) { Value x; x.kind = Kind::kBool; x.boolean = v; return x; }
  static Value of(std::string v) { Value x; x.kind = Kind::kString; x.text = std::move(v); return x; }
  static Value of(const char* v) { return of(std::string(v)); }
  bool is_null() const { return kind == Kind::kNull; }
  std::string to_string() const;   // for notifications and evidence
  friend bool operator==(const Value&, const Value&) = default;
};

struct Event {
  std::string id;        // the producer's UUID
  std::string tenant;
  std::string type;      // e.g. "quiz.submitted"
  core::Timestamp occurred_at{};
  std::string trace_id;
  // Envelope (id, type, source, learner_id, tutor_id, session_id, course_id) and payload fields.
  std::vector<std::pair<FieldId, Value>> fields;

  const Value* get(FieldId field) const {
    for (const auto& [f, v] : fields) {
      if (f == field) return &v;
    }
    return nullptr;
  }
  void set(std::string_view path, Value value);
  // The subject fields, id/type/source and day (UTC date of occurred_at: set occurred_at first).
  void set_subject(std::string_view learner_id, std::string_view tutor_id, std::string_view session_id,
                   std::string_view course_id, std::string_view source);
};

}  // namespace edfleet::rules
