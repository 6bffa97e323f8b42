#include "adapters/proto_event_codec.h"

#include <memory>
#include <stdexcept>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

namespace edfleet::ingest {
namespace {

namespace pb = google::protobuf;

ProtoTime time_of(const pb::Message& timestamp) {
  const pb::Descriptor* d = timestamp.GetDescriptor();
  const pb::Reflection* r = timestamp.GetReflection();
  return {r->GetInt64(timestamp, d->FindFieldByName("seconds")), r->GetInt32(timestamp, d->FindFieldByName("nanos"))};
}

bool is_timestamp(const pb::FieldDescriptor* field) {
  return field->message_type() != nullptr && field->message_type()->full_name() == "google.protobuf.Timestamp";
}

void flatten(const pb::Message& message, const std::string& prefix, std::vector<PayloadField>& out);

// One value of `field` (element `index` when repeated).
void add_value(const pb::Message& message, const pb::FieldDescriptor* field, int index, const std::string& path,
               std::vector<PayloadField>& out) {
  const pb::Reflection* r = message.GetReflection();
  const bool repeated = field->is_repeated();
  using CppType = pb::FieldDescriptor::CppType;
  switch (field->cpp_type()) {
    case CppType::CPPTYPE_INT32:
      out.push_back({path, std::int64_t{repeated ? r->GetRepeatedInt32(message, field, index)
                                                 : r->GetInt32(message, field)}});
      break;
    case CppType::CPPTYPE_INT64:
      out.push_back({path, std::int64_t{repeated ? r->GetRepeatedInt64(message, field, index)
                                                 : r->GetInt64(message, field)}});
      break;
    case CppType::CPPTYPE_UINT32:
      out.push_back({path, std::uint64_t{repeated ? r->GetRepeatedUInt32(message, field, index)
                                                  : r->GetUInt32(message, field)}});
      break;
    case CppType::CPPTYPE_UINT64:
      out.push_back({path, std::uint64_t{repeated ? r->GetRepeatedUInt64(message, field, index)
                                                  : r->GetUInt64(message, field)}});
      break;
    case CppType::CPPTYPE_DOUBLE:
      out.push_back({path, repeated ? r->GetRepeatedDouble(message, field, index) : r->GetDouble(message, field)});
      break;
    case CppType::CPPTYPE_FLOAT:
      out.push_back({path, static_cast<double>(repeated ? r->GetRepeatedFloat(message, field, index)
                                                        : r->GetFloat(message, field))});
      break;
    case CppType::CPPTYPE_BOOL:
      out.push_back({path, repeated ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field)});
      break;
    case CppType::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* value =
          repeated ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field);
      out.push_back({path, std::string(value->name())});
      break;
    }
    case CppType::CPPTYPE_STRING:
      out.push_back({path, repeated ? r->GetRepeatedString(message, field, index) : r->GetString(message, field)});
      break;
    case CppType::CPPTYPE_MESSAGE: {
      const pb::Message& sub = repeated ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field);
      if (is_timestamp(field)) {
        out.push_back({path, time_of(sub)});
      } else {
        out.push_back({path, MessagePresent{}});
        flatten(sub, path, out);
      }
      break;
    }
  }
}

void flatten(const pb::Message& message, const std::string& prefix, std::vector<PayloadField>& out) {
  std::vector<const pb::FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);  // set fields only, in field-number order
  for (const pb::FieldDescriptor* field : fields) {
    const std::string path = prefix + "." + field->name();
    if (field->is_repeated()) {
      const int size = message.GetReflection()->FieldSize(message, field);
      for (int i = 0; i < size; ++i) add_value(message, field, i, path + "[" + std::to_string(i) + "]", out);
    } else {
      add_value(message, field, -1, path, out);
    }
  }
}

void set_time(google::protobuf::Timestamp* target, const ProtoTime& t) {
  target->set_seconds(t.seconds);
  target->set_nanos(t.nanos);
}

}  // namespace

EventEnvelope to_domain(const events::v1::Event& event) {
  EventEnvelope out;
  out.id = event.id();
  out.tenant = event.tenant();
  out.type = event.type();
  out.source = event.source();
  out.subject = {event.subject().learner_id(), event.subject().tutor_id(), event.subject().session_id(),
                 event.subject().course_id()};
  if (event.has_occurred_at()) out.occurred_at = ProtoTime{event.occurred_at().seconds(), event.occurred_at().nanos()};
  if (event.has_received_at()) out.received_at = ProtoTime{event.received_at().seconds(), event.received_at().nanos()};
  out.trace_id = event.trace_id();
  out.serialized_size = event.ByteSizeLong();

  const pb::Reflection* r = event.GetReflection();
  const pb::OneofDescriptor* oneof = event.GetDescriptor()->FindOneofByName("payload");
  if (const pb::FieldDescriptor* field = r->GetOneofFieldDescriptor(event, oneof)) {
    const pb::Message& payload = r->GetMessage(event, field);
    out.payload.kind = field->name();
    out.payload.fields.push_back({out.payload.kind, MessagePresent{}});
    flatten(payload, out.payload.kind, out.payload.fields);
    // What is validated is what gets published: unknown fields would bypass validation, so drop them.
    std::unique_ptr<pb::Message> copy(payload.New());
    copy->CopyFrom(payload);
    copy->DiscardUnknownFields();
    out.payload.encoded = copy->SerializeAsString();
  }
  return out;
}

events::v1::Event to_proto(const EventEnvelope& event) {
  events::v1::Event out;
  out.set_id(event.id);
  out.set_tenant(event.tenant);
  out.set_type(event.type);
  out.set_source(event.source);
  const Subject& s = event.subject;
  if (!s.learner_id.empty() || !s.tutor_id.empty() || !s.session_id.empty() || !s.course_id.empty()) {
    auto* subject = out.mutable_subject();
    subject->set_learner_id(s.learner_id);
    subject->set_tutor_id(s.tutor_id);
    subject->set_session_id(s.session_id);
    subject->set_course_id(s.course_id);
  }
  if (event.occurred_at) set_time(out.mutable_occurred_at(), *event.occurred_at);
  if (event.received_at) set_time(out.mutable_received_at(), *event.received_at);
  out.set_trace_id(event.trace_id);
  if (!event.payload.kind.empty()) {
    const pb::FieldDescriptor* field = out.GetDescriptor()->FindFieldByName(event.payload.kind);
    if (field == nullptr || field->containing_oneof() == nullptr) {
      throw std::runtime_error("unknown payload case \"" + event.payload.kind + "\"");
    }
    pb::Message* payload = out.GetReflection()->MutableMessage(&out, field);
    if (!payload->ParseFromString(event.payload.encoded)) {
      throw std::runtime_error("the " + event.payload.kind + " payload bytes do not parse");
    }
  }
  return out;
}

}  // namespace edfleet::ingest
