#include "transport/proto_mapping.h"

#include <nlohmann/json.hpp>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/timestamp.pb.h>

namespace edfleet::rules {

namespace {

namespace pb = google::protobuf;

core::Timestamp to_time(const pb::Timestamp& t) {
  return core::Timestamp{std::chrono::seconds{t.seconds()} + std::chrono::microseconds{t.nanos() / 1000}};
}

void flatten_message(const pb::Message& message, Event& out) {
  const auto* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* f : fields) {
    if (f->is_repeated()) continue;
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_INT32: out.set(f->name(), Value::of(static_cast<double>(reflection->GetInt32(message, f)))); break;
      case pb::FieldDescriptor::CPPTYPE_INT64: out.set(f->name(), Value::of(static_cast<double>(reflection->GetInt64(message, f)))); break;
      case pb::FieldDescriptor::CPPTYPE_UINT32: out.set(f->name(), Value::of(static_cast<double>(reflection->GetUInt32(message, f)))); break;
      case pb::FieldDescriptor::CPPTYPE_UINT64: out.set(f->name(), Value::of(static_cast<double>(reflection->GetUInt64(message, f)))); break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE: out.set(f->name(), Value::of(reflection->GetDouble(message, f))); break;
      case pb::FieldDescriptor::CPPTYPE_FLOAT: out.set(f->name(), Value::of(static_cast<double>(reflection->GetFloat(message, f)))); break;
      case pb::FieldDescriptor::CPPTYPE_BOOL: out.set(f->name(), Value::of(reflection->GetBool(message, f))); break;
      case pb::FieldDescriptor::CPPTYPE_STRING: out.set(f->name(), Value::of(reflection->GetString(message, f))); break;
      case pb::FieldDescriptor::CPPTYPE_ENUM: out.set(f->name(), Value::of(reflection->GetEnum(message, f)->name())); break;
      case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
        const auto& sub = reflection->GetMessage(message, f);
        if (sub.GetDescriptor() == pb::Timestamp::descriptor()) {
          const auto& t = static_cast<const pb::Timestamp&>(sub);
          out.set(f->name(), Value::of(static_cast<double>(t.seconds()) + t.nanos() / 1e9));
        } else {
          flatten_message(sub, out);  // a class_session detail: its fields at the top level
        }
        break;
      }
    }
  }
}

void flatten_json(const nlohmann::json& j, const std::string& path, Event& out, int depth) {
  if (depth > 16) return;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten_json(v, path + "." + k, out, depth + 1);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size() && i < 32; ++i) flatten_json(j[i], path + "." + std::to_string(i), out, depth + 1);
  } else if (j.is_string()) {
    out.set(path, Value::of(j.get<std::string>()));
  } else if (j.is_boolean()) {
    out.set(path, Value::of(j.get<bool>()));
  } else if (j.is_number()) {
    out.set(path, Value::of(j.get<double>()));
  }
}

}  // namespace

Event to_domain(const events::v1::Event& event) {
  Event e;
  e.id = event.id();
  e.tenant = event.tenant();
  e.type = event.type();
  e.trace_id = event.trace_id();
  e.occurred_at = event.has_occurred_at() ? to_time(event.occurred_at()) : to_time(event.received_at());
  const auto& s = event.subject();
  e.set_subject(s.learner_id(), s.tutor_id(), s.session_id(), s.course_id(), event.source());
  if (event.has_xapi_statement()) {
    const auto& x = event.xapi_statement();
    if (!x.version().empty()) e.set("version", Value::of(x.version()));
    auto json = nlohmann::json::parse(x.statement_json(), nullptr, /*allow_exceptions=*/false);
    if (!json.is_discarded()) flatten_json(json, "statement", e, 0);
  } else {
    const auto* reflection = event.GetReflection();
    const auto* oneof = events::v1::Event::descriptor()->FindOneofByName("payload");
    if (const auto* field = reflection->GetOneofFieldDescriptor(event, oneof)) {
      flatten_message(reflection->GetMessage(event, field), e);
    }
  }
  return e;
}

core::Result<Event> parse_event(std::string_view value) {
  events::v1::Event event;
  if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return core::Error::invalid("not a serialized edfleet.events.v1.Event");
  }
  if (!event.has_occurred_at() && !event.has_received_at()) return core::Error::invalid("the event has no time", "occurred_at");
  if (event.tenant().empty()) return core::Error::invalid("the event has no tenant", "tenant");
  return to_domain(event);
}

v1::Action to_proto(const Action& a) {
  v1::Action out;
  out.set_id(a.id);
  out.set_tenant(a.tenant);
  out.set_rule_id(a.rule_id);
  out.set_rule_version(a.rule_version);
  out.set_key(a.key);
  const auto micros = a.fired_at.time_since_epoch().count();
  out.mutable_fired_at()->set_seconds(micros / 1'000'000 - (micros % 1'000'000 < 0 ? 1 : 0));
  out.mutable_fired_at()->set_nanos(static_cast<int>(((micros % 1'000'000) + 1'000'000) % 1'000'000) * 1000);
  out.set_trace_id(a.trace_id);
  auto* evidence = out.mutable_evidence();
  for (const auto& id : a.event_ids) evidence->add_event_ids(id);
  for (const auto& [k, v] : a.values) (*evidence->mutable_values())[k] = v;
  evidence->set_explanation(a.explanation);
  switch (a.kind) {
    case ActionKind::kNotify: {
      auto* n = out.mutable_notify();
      n->set_recipient(a.target);
      n->set_template_(a.detail);
      for (const auto& c : a.channels) n->add_channels(c);
      for (const auto& [k, v] : a.variables) (*n->mutable_variables())[k] = v;
      break;
    }
    case ActionKind::kAwardBadge:
      out.mutable_award_badge()->set_badge(a.target);
      out.mutable_award_badge()->set_learner_id(a.subject_id);
      break;
    case ActionKind::kRaiseAlert:
      out.mutable_raise_alert()->set_kind(a.target);
      out.mutable_raise_alert()->set_severity(a.detail);
      out.mutable_raise_alert()->set_summary(a.body_json);
      break;
    case ActionKind::kRequestInsight:
      out.mutable_request_insight()->set_kind(a.target);
      out.mutable_request_insight()->set_subject_id(a.subject_id);
      break;
    case ActionKind::kEmit:
      out.mutable_emit()->set_type(a.target);
      out.mutable_emit()->set_payload_json(a.body_json);
      break;
    case ActionKind::kWebhook:
      out.mutable_webhook()->set_url(a.target);
      out.mutable_webhook()->set_body_json(a.body_json);
      break;
  }
  return out;
}

}  // namespace edfleet::rules
