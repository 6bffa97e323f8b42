// The textual formats xAPI statements are made of: IRIs, RFC 5646 language tags, ISO 8601 durations and
// timestamps, mailto IRIs and SHA-1 sums. Pure functions, shared by validation and the Statements resource.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "edfleet/core/clock.h"

namespace edfleet::ingest::xapi {

// The xAPI version a statement is judged by. 1.0.3 and 2.0 (IEEE 9274.1.1) differ in timestamp syntax,
// context agents/groups and a few optional properties.
enum class Version { k1_0, k2_0 };

// Maps "1.0", "1.0.3", "2.0.0"... to a Version; nullopt for anything else (the version header/property).
std::optional<Version> parse_version(std::string_view text);

// An absolute IRI: a scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")), ':', then a non-empty rest
// without spaces or control characters. Deliberately syntax-level: the spec requires a scheme, not
// that the IRI resolves.
bool is_iri(std::string_view text);

// RFC 5646 language tag well-formedness (the ABNF of section 2.1 incl. grandfathered tags), case-insensitive.
bool is_language_tag(std::string_view text);

// ISO 8601:2004 4.4.3.2 duration (PnYnMnDTnHnMnS / PnW, the last component may have a fraction);
// the alternative format (4.4.3.3, P0003-06-04T12:30:05) is rejected as the spec requires.
bool is_duration(std::string_view text);

// "mailto:" (the scheme in any case) followed by an e-mail address (one '@', non-empty local part and domain, no spaces).
bool is_mailto_iri(std::string_view text);

// ASCII lower case (UUIDs, hex digests and e-mail domains compare case-insensitively).
std::string to_lower(std::string text);

// 40 hexadecimal digits (mbox_sha1sum).
bool is_sha1_hex(std::string_view text);

// A timestamp as the version allows. 1.0.x (Data 4.5: "formatted according to ISO 8601") takes an ISO 8601
// combined date and time: a calendar, ordinal (2026-329) or week (2026-W48-3) date, extended
// (2026-11-25T09:30:00.5+01:00) or basic (20261125T093000,5+0100),
// reduced accuracy (T09:30, T09), 24:00:00 as the end of the day, a decimal point or comma, the zone optional
// (taken as UTC when missing; offsets Z, +hh:mm, +hhmm or +hh). 2.0.x requires RFC 3339 (extended format,
// seconds, a zone; 't'/'z' may be lowercase). Both reject the "unknown offset" -00:00 (ISO 8601 forbids it)
// and year 0000. Returns the instant (UTC), to microseconds.
std::optional<core::Timestamp> parse_timestamp(std::string_view text, Version version);

// The timestamp as the same instant in UTC (format_timestamp), for storage under 2.0 (the LRS SHOULD*
// return timestamps in UTC; Data 4.5) and for comparison; nullopt when it does not parse.
std::optional<std::string> normalised_timestamp(std::string_view text, Version version);

// A valid ISO 8601 duration as it takes part in statement comparison (Data 4.6: precision beyond 0.01 s is
// not compared; otherwise a duration compares as a string, Data 2.3.1): a seconds fraction cut to two
// digits without trailing zeros, the decimal comma as a point. PT1.5S, PT1.504S and PT1,50S are equal.
std::string duration_comparison_form(std::string_view text);

// An xAPI timestamp as the LRS writes it: UTC, RFC 3339, always with milliseconds or finer
// ("2026-11-25T09:30:00.000Z"), so the precision requirement (at least ms) is visible.
std::string format_timestamp(core::Timestamp t);

}  // namespace edfleet::ingest::xapi
