// CloudEvents 1.0 Kafka protocol binding, binary content mode: the event attributes travel as
// `ce_*` record headers and the record value is the protobuf payload itself.
#pragma once

#include <string>

#include "edfleet/core/clock.h"
#include "edfleet/kafka/message.h"

namespace edfleet::kafka {

// The CloudEvents context attributes edfleet sets on every record it produces.
struct CloudEventAttributes {
  std::string id;
  std::string type;
  std::string source;
  std::string subject;  // optional: omitted from the headers when empty
  core::Timestamp time;
};

// Headers ce_specversion=1.0, ce_id, ce_type, ce_source, ce_time (RFC 3339, UTC), ce_subject (when
// set) and content-type=application/protobuf, in that order.
Headers cloud_event_headers(const CloudEventAttributes& attributes);

}  // namespace edfleet::kafka
