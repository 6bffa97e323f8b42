#include "domain/event.h"

#include "edfleet/contracts/event_types.h"

#include <algorithm>
#include <cctype>

#include "domain/outcome.h"

namespace edfleet::ingest {

namespace {
// google.protobuf.Timestamp's documented range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr std::int64_t kMinSeconds = -62135596800;
constexpr std::int64_t kMaxSeconds = 253402300799;
}  // namespace

bool is_valid_time(const ProtoTime& t) {
  return t.seconds >= kMinSeconds && t.seconds <= kMaxSeconds && t.nanos >= 0 && t.nanos <= 999'999'999;
}

core::Timestamp to_timestamp(const ProtoTime& t) {
  return core::Timestamp(std::chrono::seconds(t.seconds) + std::chrono::microseconds(t.nanos / 1000));
}

ProtoTime from_timestamp(core::Timestamp t) {
  const auto micros = t.time_since_epoch().count();
  std::int64_t seconds = micros / 1'000'000;
  std::int64_t rest = micros % 1'000'000;
  if (rest < 0) {  // nanos are never negative in a protobuf Timestamp
    rest += 1'000'000;
    seconds -= 1;
  }
  return {seconds, static_cast<std::int32_t>(rest * 1000)};
}

const FieldValue* Payload::find(std::string_view path) const {
  for (const auto& field : fields) {
    if (field.path == path) return &field.value;
  }
  return nullptr;
}

EventKey key_of(const EventEnvelope& event) {
  std::string id = event.id;
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
  return {event.tenant, std::move(id)};
}

std::string_view key_subject(const EventEnvelope& event) {
  const Subject& s = event.subject;
  return contracts::partition_value(event.type, {s.learner_id, s.tutor_id, s.session_id, s.course_id}, event.id);
}

std::string partition_key(const EventEnvelope& event) { return event.tenant + "/" + std::string(key_subject(event)); }

std::string_view reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNone: return "none";
    case RejectReason::kMissingField: return "missing_field";
    case RejectReason::kInvalidField: return "invalid_field";
    case RejectReason::kUnknownType: return "unknown_type";
    case RejectReason::kPayloadMismatch: return "payload_mismatch";
    case RejectReason::kTooLarge: return "too_large";
    case RejectReason::kTenantMismatch: return "tenant_mismatch";
    case RejectReason::kIdReused: return "id_reused";
    case RejectReason::kSequenceConflict: return "sequence_conflict";
    case RejectReason::kUnavailable: return "unavailable";
  }
  return "unknown";
}

}  // namespace edfleet::ingest
