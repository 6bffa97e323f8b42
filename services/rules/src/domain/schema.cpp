#include "domain/schema.h"

#include "edfleet/contracts/event_types.h"

#include <algorithm>

namespace edfleet::rules {

namespace {
constexpr auto S = ValueKind::kString;

ValueKind kind_of(contracts::FieldKind kind) {
  switch (kind) {
    case contracts::FieldKind::kNumber: return ValueKind::kNumber;
    case contracts::FieldKind::kString: return ValueKind::kString;
    case contracts::FieldKind::kBool: return ValueKind::kBool;
    case contracts::FieldKind::kAny: return ValueKind::kAny;
  }
  return ValueKind::kAny;
}

// The rule language's view of the event contract (libs/contracts): nothing is restated here.
std::vector<EventTypeSpec> build() {
  std::vector<EventTypeSpec> types;
  for (const auto& contract : contracts::event_types()) {
    EventTypeSpec type;
    type.type = contract.type;
    type.partition_key = contract.partition_by_subject ? contracts::subject_field_name(contract.partition_field)
                                                       : std::string_view();
    for (const auto& field : contract.fields) type.fields.push_back({field.name, kind_of(field.kind)});
    type.free_form = contract.free_form;
    types.push_back(std::move(type));
  }
  return types;
}

std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t prev = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}
}  // namespace

const std::vector<EventTypeSpec>& event_types() {
  static const std::vector<EventTypeSpec> types = build();
  return types;
}

const EventTypeSpec* find_event_type(std::string_view type) {
  for (const auto& t : event_types()) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

const std::vector<FieldSpec>& envelope_fields() {
  static const std::vector<FieldSpec> fields = {{"id", S}, {"type", S}, {"source", S}, {"learner_id", S},
                                                {"tutor_id", S}, {"session_id", S}, {"course_id", S},
                                                {"day", S}};
  return fields;
}

const FieldSpec* find_field(const EventTypeSpec& type, std::string_view name) {
  for (const auto& f : envelope_fields()) {
    if (f.name == name) return &f;
  }
  for (const auto& f : type.fields) {
    if (f.name == name) return &f;
  }
  if (type.free_form && name.starts_with("statement.") && name.size() > 10) {
    static const FieldSpec any{"statement", ValueKind::kAny};
    return &any;
  }
  return nullptr;
}

std::string canonical_path(std::string_view path) {
  for (std::string_view prefix : {"payload.", "subject.", "event."}) {
    if (path.starts_with(prefix)) return std::string(path.substr(prefix.size()));
  }
  return std::string(path);
}

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNumber: return "a number";
    case ValueKind::kString: return "text";
    case ValueKind::kBool: return "true or false";
    case ValueKind::kAny: return "a value";
  }
  return "a value";
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    std::size_t d = distance(word, c);
    if (d < best_distance || (best.empty() && word.size() >= 3 && c.starts_with(word))) {
      best_distance = std::min(d, best_distance);
      best = c;
    }
  }
  return best;
}

}  // namespace edfleet::rules
