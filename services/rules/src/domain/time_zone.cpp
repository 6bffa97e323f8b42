#include "domain/time_zone.h"

#include <algorithm>
#include <cstring>

namespace edfleet::rules {

namespace {
std::int64_t be(std::string_view data, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
}  // namespace

TimeZone TimeZone::fixed(std::string name, std::int64_t offset_seconds) {
  TimeZone z;
  z.name_ = std::move(name);
  z.fixed_offset_ = offset_seconds;
  z.initial_offset_ = offset_seconds;
  return z;
}

std::optional<TimeZone> TimeZone::from_tzif(std::string name, std::string_view data) {
  auto header = [&](std::size_t at, std::int64_t counts[6]) -> bool {
    if (data.size() < at + 44 || data.substr(at, 4) != "TZif") return false;
    for (int i = 0; i < 6; ++i) counts[i] = be(data, at + 20 + static_cast<std::size_t>(i) * 4, 4);
    return true;
  };
  std::int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  if (!header(0, c)) return std::nullopt;
  std::size_t at = 44;
  int time_size = 4;
  if (data[4] >= '2') {  // skip the v1 block, read the 64-bit one
    at += static_cast<std::size_t>(c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
    if (!header(at, c)) return std::nullopt;
    at += 44;
    time_size = 8;
  }
  const std::size_t timecnt = static_cast<std::size_t>(c[3]);
  const std::size_t typecnt = static_cast<std::size_t>(c[4]);
  if (typecnt == 0 || data.size() < at + timecnt * static_cast<std::size_t>(time_size) + timecnt + typecnt * 6) {
    return std::nullopt;
  }
  TimeZone z;
  z.name_ = std::move(name);
  std::vector<std::int64_t> type_offsets(typecnt);
  const std::size_t types_at = at + timecnt * static_cast<std::size_t>(time_size) + timecnt;
  for (std::size_t i = 0; i < typecnt; ++i) type_offsets[i] = be(data, types_at + i * 6, 4);
  z.initial_offset_ = type_offsets[0];
  for (std::size_t i = 0; i < timecnt; ++i) {
    z.transitions_.push_back(be(data, at + i * static_cast<std::size_t>(time_size), time_size));
    const auto type = static_cast<unsigned char>(data[at + timecnt * static_cast<std::size_t>(time_size) + i]);
    z.offsets_.push_back(type < typecnt ? type_offsets[type] : 0);
  }
  return z;
}

std::int64_t TimeZone::offset_at(std::int64_t utc_seconds) const {
  if (transitions_.empty()) return fixed_offset_;
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  if (it == transitions_.begin()) return initial_offset_;
  // After the last transition the zone's footer rule applies; the last offset is a fine
  // approximation for the data Debian ships (transitions are listed until 2037).
  return offsets_[static_cast<std::size_t>(it - transitions_.begin()) - 1];
}

std::int64_t next_trigger_us(Schedule::Kind kind, int weekday, int hour, int minute, const TimeZone& zone,
                             std::int64_t after_us) {
  const std::int64_t after_s = floor_div(after_us, 1'000'000);
  // Local wall-clock seconds -> UTC: use the offset in force around that instant.
  auto to_utc = [&](std::int64_t local_s) {
    std::int64_t guess = local_s - zone.offset_at(local_s);
    return local_s - zone.offset_at(guess);
  };
  const std::int64_t local = after_s + zone.offset_at(after_s);
  std::int64_t candidate_local;
  if (kind == Schedule::Kind::kHourly) {
    candidate_local = floor_div(local, 3600) * 3600 + 3600;
    for (int i = 0; i < 4; ++i) {
      const std::int64_t utc = to_utc(candidate_local);
      if (utc * 1'000'000 > after_us) return utc * 1'000'000;
      candidate_local += 3600;
    }
    return (after_s + 3600) * 1'000'000;
  }
  const std::int64_t day = floor_div(local, 86400);
  for (std::int64_t d = day; d < day + 15; ++d) {
    if (kind == Schedule::Kind::kWeekly && ((d % 7 + 7 + 3) % 7) != weekday) continue;  // 1970-01-01: Thursday
    candidate_local = d * 86400 + hour * 3600 + minute * 60;
    const std::int64_t utc = to_utc(candidate_local);
    if (utc * 1'000'000 > after_us) return utc * 1'000'000;
  }
  return (after_s + 86400) * 1'000'000;
}

}  // namespace edfleet::rules
