// Time zones for calendar schedules ("every monday at 09:00" in the tenant's zone), read from TZif
// data (the zoneinfo files); pure parsing, the file reading lives in an adapter.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ast.h"

namespace edfleet::rules {

class TimeZone {
 public:
  // UTC itself.
  TimeZone() = default;
  static TimeZone fixed(std::string name, std::int64_t offset_seconds);
  // Parses TZif (RFC 8536) version 1-4 data; nullopt when it is not TZif.
  static std::optional<TimeZone> from_tzif(std::string name, std::string_view data);

  const std::string& name() const { return name_; }
  // Seconds to add to UTC to get local time at the UTC instant `utc_seconds`.
  std::int64_t offset_at(std::int64_t utc_seconds) const;

 private:
  std::string name_ = "UTC";
  std::vector<std::int64_t> transitions_;   // UTC seconds, ascending
  std::vector<std::int64_t> offsets_;       // offset in force from transitions_[i]
  std::int64_t initial_offset_ = 0;         // before the first transition
  std::int64_t fixed_offset_ = 0;
};

// The first trigger of `schedule` strictly after `after_us` (UTC microseconds), in `zone`.
std::int64_t next_trigger_us(Schedule::Kind kind, int weekday, int hour, int minute, const TimeZone& zone,
                             std::int64_t after_us);

}  // namespace edfleet::rules
