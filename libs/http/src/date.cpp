#include "edfleet/http/date.h"

#include <cstdio>
#include <ctime>

namespace edfleet::http {

std::string imf_fixdate(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(at));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  // Names spelled out rather than strftime's %a/%b, which follow the locale.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[40];
  const int length = std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                                   utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                                   utc.tm_sec);
  return std::string(text, static_cast<std::size_t>(length));
}

}  // namespace edfleet::http
