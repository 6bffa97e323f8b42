// RFC 3339 timestamps and calendar days, the textual time formats edfleet speaks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "edfleet/core/clock.h"

namespace edfleet::core {

// Parses an RFC 3339 date-time ("2026-11-25T09:30:00Z", "2026-11-25T10:30:00.123+01:00").
// Requires a time-zone designator; fractional seconds beyond microseconds are truncated.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// Formats as UTC RFC 3339 with microseconds when non-zero: "2026-11-25T09:30:00.000123Z".
std::string format_rfc3339(Timestamp t);

// The UTC calendar day, "YYYY-MM-DD".
std::string format_day(Timestamp t);

// Parses "YYYY-MM-DD" to midnight UTC of that day.
std::optional<Timestamp> parse_day(std::string_view text);

}  // namespace edfleet::core
