#include "domain/content_hash.h"

#include <algorithm>
#include <cstdio>

#include "edfleet/core/hash.h"

namespace edfleet::ingest {
namespace {

void append(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.push_back('=');
  out.append(std::to_string(value.size()));
  out.push_back(':');
  out.append(value);
  out.push_back('\n');
}

std::string time_text(const ProtoTime& t) { return std::to_string(t.seconds) + "." + std::to_string(t.nanos); }

std::string value_text(const FieldValue& value) {
  struct Visitor {
    std::string operator()(const MessagePresent&) const { return "m"; }
    std::string operator()(const std::string& v) const { return "s" + v; }
    std::string operator()(std::int64_t v) const { return "i" + std::to_string(v); }
    std::string operator()(std::uint64_t v) const { return "u" + std::to_string(v); }
    std::string operator()(double v) const {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "d%a", v);  // exact: hexadecimal floating point
      return buffer;
    }
    std::string operator()(bool v) const { return v ? "b1" : "b0"; }
    std::string operator()(const ProtoTime& v) const { return "t" + time_text(v); }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace

std::string canonical_form(const EventEnvelope& event) {
  std::string out = "edfleet.event.v1\n";
  const EventKey key = key_of(event);
  append(out, "id", key.id);
  append(out, "tenant", event.tenant);
  append(out, "type", event.type);
  append(out, "source", event.source);
  append(out, "subject.learner_id", event.subject.learner_id);
  append(out, "subject.tutor_id", event.subject.tutor_id);
  append(out, "subject.session_id", event.subject.session_id);
  append(out, "subject.course_id", event.subject.course_id);
  append(out, "occurred_at", event.occurred_at ? time_text(*event.occurred_at) : std::string());
  append(out, "payload", event.payload.kind);

  std::vector<const PayloadField*> fields;
  fields.reserve(event.payload.fields.size());
  for (const auto& field : event.payload.fields) fields.push_back(&field);
  std::stable_sort(fields.begin(), fields.end(),
                   [](const PayloadField* a, const PayloadField* b) { return a->path < b->path; });
  for (const PayloadField* field : fields) append(out, "payload." + field->path, value_text(field->value));
  return out;
}

std::string content_hash(const EventEnvelope& event) { return core::sha256_hex(canonical_form(event)); }

}  // namespace edfleet::ingest
