#include "domain/xapi/formats.h"

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <regex>

namespace edfleet::ingest::xapi {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool read_number(std::string_view text, std::size_t& pos, std::size_t digits, int& out) {
  if (pos + digits > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[pos + i];
    if (!is_digit(c)) return false;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  out = value;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// ISO 8601 week date: week 1 is the week (Monday first) with the year's first Thursday, i.e. with 4 January.
std::optional<std::chrono::sys_days> iso_week_date(int year, int week, int day_of_week) {
  using namespace std::chrono;
  const auto week_one = [](int y) {
    const sys_days jan4{std::chrono::year{y} / January / 4};
    return jan4 - days(weekday{jan4}.iso_encoding() - 1);  // the Monday of 4 January's week
  };
  if (week < 1 || week > 53 || day_of_week < 1 || day_of_week > 7) return std::nullopt;
  const sys_days date = week_one(year) + weeks(week - 1) + days(day_of_week - 1);
  if (date >= week_one(year + 1)) return std::nullopt;  // week 53 of a year that has 52
  return date;
}

// "PT1H2M3.5S" and its shorter forms (hours, minutes, seconds in that order, whole numbers but the
// seconds): what xAPI results usually carry, and all of it matched by is_duration's pattern. Checked by
// hand so most statements do not need the regex.
bool is_simple_time_duration(std::string_view text) {
  if (!text.starts_with("PT")) return false;
  std::size_t i = 2;
  int components = 0;
  for (const char designator : {'H', 'M', 'S'}) {
    std::size_t j = i;
    while (j < text.size() && is_digit(text[j])) ++j;
    if (j == i) continue;  // this component is absent (the next one is tried at the same place)
    if (designator == 'S' && j < text.size() && text[j] == '.') {
      const std::size_t fraction = j + 1;
      j = fraction;
      while (j < text.size() && is_digit(text[j])) ++j;
      if (j == fraction) return false;
    }
    if (j >= text.size() || text[j] != designator) {
      // Digits followed by a later designator: let the next round read them again.
      continue;
    }
    i = j + 1;
    ++components;
  }
  return components > 0 && i == text.size();
}

}  // namespace

std::optional<Version> parse_version(std::string_view text) {
  // 1.0, 2.0, or either with a patch number (0, or no leading zero and at most 9 digits). Read by hand:
  // it runs for every request (a std::regex match was a measurable part of a single-statement POST).
  if (text.size() < 3 || (text[0] != '1' && text[0] != '2') || text[1] != '.' || text[2] != '0') return std::nullopt;
  if (text.size() > 3) {
    const std::string_view patch = text.substr(4);
    if (text[3] != '.' || patch.empty() || patch.size() > 9) return std::nullopt;
    if (patch[0] == '0' && patch.size() > 1) return std::nullopt;
    for (const char c : patch) {
      if (!is_digit(c)) return std::nullopt;
    }
  }
  return text[0] == '1' ? Version::k1_0 : Version::k2_0;
}

bool is_iri(std::string_view text) {
  std::size_t i = 0;
  if (text.empty() || !is_alpha(text[0])) return false;
  while (i < text.size() && (is_alpha(text[i]) || is_digit(text[i]) || text[i] == '+' || text[i] == '-' ||
                             text[i] == '.')) {
    ++i;
  }
  if (i >= text.size() || text[i] != ':' || i + 1 >= text.size()) return false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;  // no spaces or control characters anywhere
  }
  return true;
}

bool is_language_tag(std::string_view text) {
  // RFC 5646 section 2.1, as one regular expression (grandfathered tags listed verbatim).
  static const std::regex pattern(
      "^(?:"
      "(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  // language (+ extlang)
      "(?:-[a-z]{4})?"                                          // script
      "(?:-(?:[a-z]{2}|[0-9]{3}))?"                             // region
      "(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"                // variants
      "(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*"                    // extensions
      "(?:-x(?:-[a-z0-9]{1,8})+)?"                              // private use
      "|x(?:-[a-z0-9]{1,8})+"                                   // private use only
      "|en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|i-tao"
      "|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de"
      "|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang"
      ")$",
      std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  if (text.empty() || text.size() > 256) return false;
  // The usual tags ("en", "fr-CA", "tlh-US": a language and maybe a two-letter region) match the pattern;
  // checking them by hand spares the regex for every key of every language map.
  const auto letters = [&text](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      if (!is_alpha(text[i])) return false;
    }
    return true;
  };
  const std::size_t dash = text.find('-');
  const std::size_t language = dash == std::string_view::npos ? text.size() : dash;
  if ((language == 2 || language == 3) && letters(0, language) &&
      (dash == std::string_view::npos || (text.size() == dash + 3 && letters(dash + 1, text.size())))) {
    return true;
  }
  return std::regex_match(text.begin(), text.end(), pattern);
}

bool is_duration(std::string_view text) {
  // Only the last component may carry a decimal fraction (ISO 8601 4.4.3.2); the check below enforces it.
  static const std::regex pattern(
      R"(^P(?:\d+(?:[.,]\d+)?W|(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?D)?)"
      R"((?:T(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?)$)");
  if (text.size() < 3 || text.size() > 128) return false;
  if (!is_simple_time_duration(text) && !std::regex_match(text.begin(), text.end(), pattern)) return false;
  if (text.back() == 'T') return false;  // "P1DT": a 'T' must be followed by a time component
  // A decimal fraction is allowed only in the last component: digits, then its designator, then the end.
  const auto fraction = text.find_first_of(".,");
  if (fraction != std::string_view::npos) {
    std::size_t i = fraction + 1;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i + 1 != text.size()) return false;
  }
  return true;  // the regex already demands at least one component ("P" alone is too short to match)
}

bool is_mailto_iri(std::string_view text) {
  constexpr std::string_view prefix = "mailto:";
  // URI schemes are case-insensitive (RFC 3986 3.1): MAILTO: is the same scheme.
  if (text.size() <= prefix.size() || to_lower(std::string(text.substr(0, prefix.size()))) != prefix) return false;
  const std::string_view address = text.substr(prefix.size());
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>') return false;
  }
  return true;
}

std::string to_lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_sha1_hex(std::string_view text) {
  if (text.size() != 40) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<core::Timestamp> parse_timestamp(std::string_view text, Version version) {
  using namespace std::chrono;
  const bool iso = version == Version::k1_0;  // 1.0.3: any ISO 8601 combined date-time; 2.0: RFC 3339
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  // Date: extended YYYY-MM-DD, or (ISO 8601 only) basic YYYYMMDD, ordinal YYYY-DDD / YYYYDDD or week
  // YYYY-Www-D / YYYYWwwD (4.1.2-4.1.4); the time must use the same format (ISO 8601:2004 4.3.2: a
  // combined representation is either all basic or all extended).
  if (!read_number(text, pos, 4, year) || year < 1) return std::nullopt;
  const bool extended = pos < text.size() && text[pos] == '-';
  if (!extended && !iso) return std::nullopt;
  if (extended) ++pos;
  std::optional<sys_days> date;
  const auto digits_ahead = [&] {
    std::size_t n = 0;
    while (pos + n < text.size() && is_digit(text[pos + n])) ++n;
    return n;
  };
  if (iso && pos < text.size() && text[pos] == 'W') {
    ++pos;
    int week = 0, day_of_week = 0;
    if (!read_number(text, pos, 2, week)) return std::nullopt;
    if (extended && !expect(text, pos, '-')) return std::nullopt;
    if (!read_number(text, pos, 1, day_of_week)) return std::nullopt;
    date = iso_week_date(year, week, day_of_week);
  } else if (iso && digits_ahead() == 3) {
    int ordinal = 0;
    read_number(text, pos, 3, ordinal);
    const sys_days first{std::chrono::year{year} / January / 1};
    const auto length = (sys_days{std::chrono::year{year + 1} / January / 1} - first).count();
    if (ordinal >= 1 && ordinal <= length) date = first + days(ordinal - 1);
  } else {
    if (!read_number(text, pos, 2, month)) return std::nullopt;
    if (extended && !expect(text, pos, '-')) return std::nullopt;
    if (!read_number(text, pos, 2, day)) return std::nullopt;
    const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                             std::chrono::day{static_cast<unsigned>(day)}};
    if (ymd.ok()) date = sys_days{ymd};
  }
  if (!date) return std::nullopt;
  // ISO 8601 needs 'T'; RFC 3339 (2.0) also lets a parser accept a lowercase 't'.
  if (pos >= text.size() || !(text[pos] == 'T' || (!iso && text[pos] == 't'))) return std::nullopt;
  ++pos;
  // Time: hh:mm:ss (RFC 3339), or in ISO 8601 also the reduced accuracies hh:mm and hh (4.2.2.3).
  if (!read_number(text, pos, 2, hour)) return std::nullopt;
  const auto separator = [&] { return extended ? expect(text, pos, ':') : true; };
  const auto next_is_digit_group = [&] {
    return extended ? pos < text.size() && text[pos] == ':' : pos < text.size() && is_digit(text[pos]);
  };
  bool has_minutes = true, has_seconds = true;
  if (iso && !next_is_digit_group()) {
    has_minutes = has_seconds = false;
  } else if (!separator() || !read_number(text, pos, 2, minute)) {
    return std::nullopt;
  }
  if (has_minutes) {
    if (iso && !next_is_digit_group()) {
      has_seconds = false;
    } else if (!separator() || !read_number(text, pos, 2, second)) {
      return std::nullopt;
    }
  }
  long long fraction_us = 0;
  bool fraction_nonzero = false;
  if (has_seconds && pos < text.size() && (text[pos] == '.' || (iso && text[pos] == ','))) {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      if (digits < 6) fraction_us = fraction_us * 10 + (text[pos] - '0');
      fraction_nonzero = fraction_nonzero || text[pos] != '0';
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 6; ++i) fraction_us *= 10;
  }
  // 24:00:00 is the end of the day in ISO 8601 (not in RFC 3339); nothing after it.
  const bool end_of_day = iso && hour == 24 && minute == 0 && second == 0 && !fraction_nonzero;
  if ((hour > 23 && !end_of_day) || minute > 59 || second > 60) return std::nullopt;
  int offset_minutes = 0;
  if (pos == text.size()) {
    if (!iso) return std::nullopt;  // RFC 3339 requires the zone; ISO 8601 local time is taken as UTC
  } else if (text[pos] == 'Z' || (!iso && text[pos] == 'z')) {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const bool negative = text[pos] == '-';
    ++pos;
    int off_h = 0, off_m = 0;
    if (!read_number(text, pos, 2, off_h)) return std::nullopt;
    if (pos < text.size()) {
      if (text[pos] == ':') {
        // +hh:mm; ISO 8601 basic format has no colons.
        if (iso && !extended) return std::nullopt;
        ++pos;
        if (!read_number(text, pos, 2, off_m)) return std::nullopt;
      } else if (iso) {
        // +hhmm: the basic offset, tolerated after an extended time too (common in the wild).
        if (!read_number(text, pos, 2, off_m)) return std::nullopt;
      } else {
        return std::nullopt;
      }
    } else if (!iso) {
      return std::nullopt;  // RFC 3339 needs +hh:mm
    }
    if (off_h > 23 || off_m > 59) return std::nullopt;
    if (negative && off_h == 0 && off_m == 0) return std::nullopt;  // -00:00: "unknown offset"
    offset_minutes = (negative ? -1 : 1) * (off_h * 60 + off_m);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  if (second == 60) second = 59;  // system_clock has no leap seconds; clamp rather than reject
  return time_point_cast<microseconds>(*date) + hours(hour) + minutes(minute) + seconds(second) +
         microseconds(fraction_us) - minutes(offset_minutes);
}

std::optional<std::string> normalised_timestamp(std::string_view text, Version version) {
  const auto t = parse_timestamp(text, version);
  if (!t) return std::nullopt;
  return format_timestamp(*t);
}

std::string duration_comparison_form(std::string_view text) {
  // Only the last component can carry a fraction (is_duration); for seconds it is cut to hundredths and
  // written without trailing zeros, so PT1.5S, PT1.50S, PT1,504S compare equal and PT1S equals PT1.00S.
  std::string out(text);
  if (out.empty() || out.back() != 'S') return out;
  const auto mark = out.find_first_of(".,");
  if (mark == std::string::npos) return out;
  std::string fraction = out.substr(mark + 1, out.size() - mark - 2).substr(0, 2);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return out.substr(0, mark) + (fraction.empty() ? "" : "." + fraction) + "S";
}

std::string format_timestamp(core::Timestamp t) {
  using namespace std::chrono;
  const auto day_point = floor<days>(t);
  const year_month_day ymd{day_point};
  const hh_mm_ss<microseconds> tod{t - day_point};
  const long long us = tod.subseconds().count();
  char buf[48];
  int n = 0;
  if (us % 1000 == 0) {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03lldZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                      static_cast<int>(tod.seconds().count()), us / 1000);
  } else {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                      static_cast<int>(tod.seconds().count()), us);
  }
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace edfleet::ingest::xapi
