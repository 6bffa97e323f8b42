#include "edfleet/core/time_format.h"

#include <charconv>
#include <cstdio>

namespace edfleet::core {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Reads exactly `width` decimal digits at `pos`.
bool read_digits(std::string_view text, std::size_t& pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  pos += width;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

std::optional<std::chrono::sys_days> make_day(int y, int m, int d) {
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd};
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') || !read_digits(text, pos, 2, month) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') || !read_digits(text, pos, 2, minute) ||
      !expect(text, pos, ':') || !read_digits(text, pos, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second
  long fraction_us = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) fraction_us = fraction_us * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 6; ++i) fraction_us *= 10;
  }
  if (pos >= text.size()) return std::nullopt;  // a time-zone designator is required
  minutes offset{0};
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int off_h = 0, off_m = 0;
    if (!read_digits(text, pos, 2, off_h) || !expect(text, pos, ':') || !read_digits(text, pos, 2, off_m) ||
        off_h > 23 || off_m > 59) {
      return std::nullopt;
    }
    offset = minutes(sign * (off_h * 60 + off_m));
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  auto date = make_day(year, month, day);
  if (!date) return std::nullopt;
  if (second == 60) second = 59;  // system_clock has no leap seconds; clamp rather than reject
  Timestamp t = std::chrono::time_point_cast<microseconds>(*date) + hours(hour) + minutes(minute) +
                seconds(second) + microseconds(fraction_us) - offset;
  return t;
}

std::string format_rfc3339(Timestamp t) {
  auto day_point = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd{day_point};
  std::chrono::hh_mm_ss<microseconds> tod{t - day_point};
  char buf[40];
  const long us = static_cast<long>(tod.subseconds().count());
  int n;
  if (us == 0) {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lldZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<long>(tod.hours().count()), static_cast<long>(tod.minutes().count()),
                      static_cast<long long>(tod.seconds().count()));
  } else {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld.%06ldZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<long>(tod.hours().count()), static_cast<long>(tod.minutes().count()),
                      static_cast<long long>(tod.seconds().count()), us);
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string format_day(Timestamp t) {
  std::chrono::year_month_day ymd{std::chrono::floor<days>(t)};
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<Timestamp> parse_day(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') || !read_digits(text, pos, 2, month) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, day) || pos != text.size()) {
    return std::nullopt;
  }
  auto date = make_day(year, month, day);
  if (!date) return std::nullopt;
  return std::chrono::time_point_cast<microseconds>(*date);
}

}  // namespace edfleet::core
