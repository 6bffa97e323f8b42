// The contract against event.proto, both ways: a payload case or session detail in the proto without
// a contract type fails here, and so does a contract field the proto lacks or types differently.
#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <string>

#include <google/protobuf/descriptor.h>

#include "edfleet/contracts/event_types.h"
#include "edfleet/events/v1/event.pb.h"

using namespace edfleet::contracts;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

namespace {

// The contract's kind of a proto field, or nullopt for what the contract does not list (repeated
// fields and nested messages other than timestamps).
std::optional<FieldKind> kind_of(const FieldDescriptor& field) {
  if (field.is_repeated()) return std::nullopt;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: return FieldKind::kString;
    case FieldDescriptor::CPPTYPE_BOOL: return FieldKind::kBool;
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: return FieldKind::kNumber;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (field.message_type()->full_name() == "google.protobuf.Timestamp") return FieldKind::kNumber;
      return std::nullopt;
    default: return std::nullopt;
  }
}

// Checks that the contract's fields of `type` and the scalar fields of `message` are the same set,
// with the same kinds (`extra` lists contract fields that live elsewhere, like session `sequence`).
void check_fields(const EventType& type, const Descriptor& message, const std::set<std::string>& extra = {}) {
  std::set<std::string> in_contract;
  for (const auto& field : type.fields) {
    in_contract.insert(std::string(field.name));
    if (extra.contains(std::string(field.name))) continue;
    const FieldDescriptor* proto = message.FindFieldByName(std::string(field.name));
    INFO(type.type << ": contract field " << field.name << " in " << message.full_name());
    REQUIRE(proto != nullptr);
    CHECK(kind_of(*proto) == field.kind);
  }
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& proto = *message.field(i);
    if (!kind_of(proto)) continue;
    INFO(type.type << ": proto field " << proto.name() << " of " << message.full_name() << " is not in the contract");
    CHECK(in_contract.contains(proto.name()));
  }
}

}  // namespace

TEST_CASE("every Event payload case has a contract type, and every contract type a payload case") {
  const Descriptor& event = *edfleet::events::v1::Event::descriptor();
  const auto* payload = event.FindOneofByName("payload");
  REQUIRE(payload != nullptr);
  std::set<std::string> cases_in_contract;
  for (const auto& type : event_types()) cases_in_contract.insert(std::string(type.payload_case));
  for (int i = 0; i < payload->field_count(); ++i) {
    INFO("Event.payload case " << payload->field(i)->name() << " has no type in libs/contracts");
    CHECK(cases_in_contract.contains(payload->field(i)->name()));
  }
  for (const auto& type : event_types()) {
    INFO(type.type);
    const FieldDescriptor* field = event.FindFieldByName(std::string(type.payload_case));
    REQUIRE(field != nullptr);
    REQUIRE(field->containing_oneof() == payload);
    if (type.detail.empty()) check_fields(type, *field->message_type());
  }
}

TEST_CASE("every ClassSessionEvent detail is a session.<detail> type, and back") {
  const Descriptor& session = *edfleet::events::v1::ClassSessionEvent::descriptor();
  const auto* detail = session.FindOneofByName("detail");
  REQUIRE(detail != nullptr);
  for (int i = 0; i < detail->field_count(); ++i) {
    const std::string name = "session." + detail->field(i)->name();
    INFO(name << " is a ClassSessionEvent detail without a contract type");
    const EventType* type = find_event_type(name);
    REQUIRE(type != nullptr);
    CHECK(type->detail == detail->field(i)->name());
    REQUIRE(session.FindFieldByName("sequence") != nullptr);
    check_fields(*type, *detail->field(i)->message_type(), {"sequence"});
  }
  for (const auto& type : event_types()) {
    if (!is_session_type(type.type)) continue;
    INFO(type.type);
    const FieldDescriptor* field = session.FindFieldByName(std::string(type.detail));
    REQUIRE(field != nullptr);
    CHECK(field->containing_oneof() == detail);
  }
}

TEST_CASE("the subject fields the contract names are Subject's") {
  const Descriptor& subject = *edfleet::events::v1::Subject::descriptor();
  for (auto field : {SubjectField::kLearner, SubjectField::kTutor, SubjectField::kSession, SubjectField::kCourse}) {
    CHECK(subject.FindFieldByName(std::string(subject_field_name(field))) != nullptr);
  }
  CHECK(subject.field_count() == 4);
}
