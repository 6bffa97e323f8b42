// The domain's view of one incoming event: the envelope fields plus a generic, flattened form of the
// payload. Pure C++ so that every validation and idempotency rule is unit-testable without protobuf.
//
// The transport flattens the protobuf payload (with reflection) into a list of (path, typed value):
// only fields that are set (non-default scalars, present messages) appear, so an absent field reads
// as its default (0, "", false). Paths are relative to the payload oneof and use proto field names:
// "quiz_submission.score", "class_session.scheduled.starts_at", "quiz_submission.questions[0].points".
// A present sub-message (even an empty one) is listed with a MessagePresent value, so that e.g. an
// empty `class_session.started` detail is still visible.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "edfleet/core/clock.h"

namespace edfleet::ingest {

// A protobuf-style timestamp kept raw, so the domain can reject out-of-range values itself.
struct ProtoTime {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  friend bool operator==(const ProtoTime&, const ProtoTime&) = default;
};

// True when `t` is inside google.protobuf.Timestamp's valid range (0001-01-01..9999-12-31, nanos
// 0..999,999,999).
bool is_valid_time(const ProtoTime& t);
// Microsecond precision (what the rest of edfleet uses); sub-microsecond digits are dropped.
core::Timestamp to_timestamp(const ProtoTime& t);
ProtoTime from_timestamp(core::Timestamp t);

struct MessagePresent {
  friend bool operator==(const MessagePresent&, const MessagePresent&) = default;
};

using FieldValue = std::variant<MessagePresent, std::string, std::int64_t, std::uint64_t, double, bool, ProtoTime>;

struct PayloadField {
  std::string path;
  FieldValue value;
};

// The payload oneof: which case is set (its proto field name, empty when none) and its contents.
struct Payload {
  std::string kind;                   // e.g. "quiz_submission"; empty = no payload set
  std::vector<PayloadField> fields;   // flattened, paths start with `kind`
  std::string encoded;                // the payload message in its wire form, opaque to the domain;
                                      // adapters use it to rebuild the full event for Kafka

  // The field at exactly `path`, or nullptr when it is not set.
  const FieldValue* find(std::string_view path) const;
};

struct Subject {
  std::string learner_id;
  std::string tutor_id;
  std::string session_id;
  std::string course_id;
};

struct EventEnvelope {
  std::string id;
  std::string tenant;
  std::string type;
  std::string source;
  Subject subject;
  std::optional<ProtoTime> occurred_at;
  std::optional<ProtoTime> received_at;   // stamped by ingest; whatever was sent is overwritten
  std::string trace_id;
  Payload payload;
  std::size_t serialized_size = 0;        // size of the event as sent, in bytes (for the size limit)
};

// The idempotency key: ids are unique per tenant. The id is lower-cased (UUIDs are case-insensitive).
struct EventKey {
  std::string tenant;
  std::string id;
  friend auto operator<=>(const EventKey&, const EventKey&) = default;
  friend bool operator==(const EventKey&, const EventKey&) = default;
};
EventKey key_of(const EventEnvelope& event);

// The subject part of the Kafka key (also the CloudEvents subject), by the contract's partition-key
// rule (libs/contracts): session.* events by session_id, the others by their subject as before.
std::string_view key_subject(const EventEnvelope& event);
// The Kafka key, "<tenant>/<key_subject>".
std::string partition_key(const EventEnvelope& event);

}  // namespace edfleet::ingest
