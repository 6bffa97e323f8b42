#include "domain/validation.h"

#include <cmath>
#include <string>

#include "domain/event_types.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/time_format.h"

namespace edfleet::ingest {
namespace {

Rejection missing(std::string field, std::string message) {
  return {RejectReason::kMissingField, std::move(field), std::move(message)};
}

Rejection invalid(std::string field, std::string message) {
  return {RejectReason::kInvalidField, std::move(field), std::move(message)};
}

bool has_control_characters(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Ids and names that end up in keys and logs: bounded and printable.
std::optional<Rejection> check_identifier(std::string_view field, std::string_view value, std::size_t max_length) {
  if (value.size() > max_length) {
    return invalid(std::string(field), std::string(field) + " is " + std::to_string(value.size()) +
                                           " characters long; the limit is " + std::to_string(max_length) + ".");
  }
  if (has_control_characters(value)) {
    return invalid(std::string(field), std::string(field) + " must not contain control characters.");
  }
  return std::nullopt;
}

std::string describe_time(const ProtoTime& t) {
  return is_valid_time(t) ? core::format_rfc3339(to_timestamp(t)) : "an out-of-range time";
}

// Rules that hold for every payload, whatever its type: times in range and finite numbers.
std::optional<Rejection> check_generic_fields(const Payload& payload) {
  for (const auto& field : payload.fields) {
    if (const auto* t = std::get_if<ProtoTime>(&field.value); t && !is_valid_time(*t)) {
      return invalid("payload." + field.path, "payload." + field.path +
                                                  " is not a valid time; use an RFC 3339 time between years 1 and 9999.");
    }
    if (const auto* d = std::get_if<double>(&field.value); d && !std::isfinite(*d)) {
      return invalid("payload." + field.path, "payload." + field.path + " must be a finite number.");
    }
  }
  return std::nullopt;
}

std::string kind_list(const EventTypeSpec& spec) {
  return spec.detail.empty() ? spec.payload_kind : spec.payload_kind + "." + spec.detail;
}

// The ClassSessionEvent detail case that is set, read from the flattened fields.
std::string session_detail(const Payload& payload) {
  static const std::string prefix = "class_session.";
  for (const auto& field : payload.fields) {
    if (!std::holds_alternative<MessagePresent>(field.value)) continue;
    if (!field.path.starts_with(prefix)) continue;
    const std::string rest = field.path.substr(prefix.size());
    if (rest.find('.') == std::string::npos && rest.find('[') == std::string::npos) return rest;
  }
  return {};
}

}  // namespace

std::optional<Rejection> validate_event(EventEnvelope& event, std::string_view caller_tenant,
                                        const ValidationLimits& limits, core::Timestamp now) {
  // id first: every later rejection is reported against it.
  if (event.id.empty()) return missing("id", "Set id to a UUID chosen by the producer; it is the idempotency key.");
  if (!core::is_uuid(event.id)) {
    return invalid("id", "id must be a UUID such as 3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b.");
  }

  if (event.serialized_size > limits.max_event_bytes) {
    return Rejection{RejectReason::kTooLarge, "",
                     "The event is " + std::to_string(event.serialized_size) + " bytes; the limit is " +
                         std::to_string(limits.max_event_bytes) + " bytes. Split or trim the payload."};
  }

  if (!caller_tenant.empty()) {
    if (event.tenant.empty()) {
      event.tenant = std::string(caller_tenant);
    } else if (event.tenant != caller_tenant) {
      return Rejection{RejectReason::kTenantMismatch, "tenant",
                       "tenant \"" + event.tenant + "\" differs from your tenant \"" + std::string(caller_tenant) +
                           "\"; leave tenant empty or set it to your own."};
    }
  } else if (event.tenant.empty()) {
    return missing("tenant", "Set tenant to the tenant's slug (there is no authenticated tenant on this call).");
  }
  if (!is_tenant_slug(event.tenant)) {
    return invalid("tenant", "tenant must be a slug: lowercase letters, digits, '_' and '-', starting with a letter "
                             "or digit, at most 63 characters.");
  }

  if (event.type.empty()) return missing("type", "Set type, e.g. \"quiz.submitted\" or \"session.started\".");
  const EventTypeSpec* spec = find_event_type(event.type);
  if (spec == nullptr) {
    return Rejection{RejectReason::kUnknownType, "type",
                     "Unknown type \"" + event.type + "\"; see the ingest README for the list of event types."};
  }

  if (event.source.empty()) return missing("source", "Set source to the producing system, e.g. \"lms.acme.example\".");
  if (auto r = check_identifier("source", event.source, limits.max_id_length)) return r;

  if (!event.occurred_at) return missing("occurred_at", "Set occurred_at to when the event happened (RFC 3339).");
  if (!is_valid_time(*event.occurred_at)) {
    return invalid("occurred_at", "occurred_at is not a valid time; use an RFC 3339 time between years 1 and 9999.");
  }
  if (to_timestamp(*event.occurred_at) > now + limits.max_future_skew) {
    return invalid("occurred_at", "occurred_at (" + describe_time(*event.occurred_at) + ") is more than " +
                                      std::to_string(limits.max_future_skew.count() / 3600) +
                                      " h in the future; check the source's clock.");
  }

  if (!event.trace_id.empty() && !core::is_trace_id(event.trace_id)) {
    return invalid("trace_id", "trace_id must be a W3C trace id: 32 lowercase hex digits, not all zero (or empty).");
  }

  for (SubjectField field : {SubjectField::kLearner, SubjectField::kTutor, SubjectField::kSession,
                             SubjectField::kCourse}) {
    const std::string path = "subject." + std::string(subject_field_name(field));
    if (auto r = check_identifier(path, subject_value(event.subject, field), limits.max_id_length)) return r;
  }

  if (event.payload.kind.empty()) {
    return missing("payload", "Set the payload that matches type \"" + event.type + "\": " + kind_list(*spec) + ".");
  }
  if (event.payload.kind != spec->payload_kind) {
    return Rejection{RejectReason::kPayloadMismatch, "payload." + event.payload.kind,
                     "type \"" + event.type + "\" needs the " + spec->payload_kind + " payload, but " +
                         event.payload.kind + " is set."};
  }
  if (!spec->detail.empty()) {
    const std::string detail = session_detail(event.payload);
    if (detail != spec->detail) {
      return Rejection{RejectReason::kPayloadMismatch, "payload.class_session",
                       "type \"" + event.type + "\" needs class_session." + spec->detail + " to be set" +
                           (detail.empty() ? std::string(", but no detail is set.")
                                           : ", but class_session." + detail + " is set.")};
    }
  }

  for (SubjectField field : spec->required_subject) {
    if (subject_value(event.subject, field).empty()) {
      const std::string path = "subject." + std::string(subject_field_name(field));
      return missing(path, "Set " + path + "; events of type \"" + event.type + "\" are about it.");
    }
  }

  if (auto r = check_generic_fields(event.payload)) return r;
  for (const auto& rule : spec->rules) {
    if (auto r = rule.check(event.payload)) return r;
  }
  return std::nullopt;
}

}  // namespace edfleet::ingest
