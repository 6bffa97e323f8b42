// Validation of one event envelope against edfleet's rules: required fields, formats, limits, the
// type catalogue (event_types.h) and the caller's tenant.
#pragma once

#include "edfleet/core/tenant.h"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "domain/event.h"
#include "domain/outcome.h"
#include "edfleet/core/clock.h"

namespace edfleet::ingest {

struct ValidationLimits {
  std::size_t max_event_bytes = 64 * 1024;          // the event as sent, serialized
  std::chrono::seconds max_future_skew{24 * 3600};  // how far occurred_at may be ahead of our clock
  std::size_t max_id_length = 256;                  // subject ids and source
};

using core::is_tenant_slug;  // edfleet/core/tenant.h

// Checks `event` and, when `caller_tenant` is set (the authenticated tenant from the gateway), fills
// an empty event tenant with it. Returns the first rule the event breaks, or nullopt when it is valid.
// `now` is the injected clock's time, for the occurred_at skew check.
std::optional<Rejection> validate_event(EventEnvelope& event, std::string_view caller_tenant,
                                        const ValidationLimits& limits, core::Timestamp now);

}  // namespace edfleet::ingest
