#include "edfleet/kafka/cloud_events.h"

#include "edfleet/core/time_format.h"

namespace edfleet::kafka {

Headers cloud_event_headers(const CloudEventAttributes& attributes) {
  Headers headers;
  headers.reserve(7);
  headers.emplace_back("ce_specversion", "1.0");
  headers.emplace_back("ce_id", attributes.id);
  headers.emplace_back("ce_type", attributes.type);
  headers.emplace_back("ce_source", attributes.source);
  headers.emplace_back("ce_time", core::format_rfc3339(attributes.time));
  if (!attributes.subject.empty()) headers.emplace_back("ce_subject", attributes.subject);
  headers.emplace_back("content-type", "application/protobuf");
  return headers;
}

}  // namespace edfleet::kafka
