// xAPI value formats, from the spec text: IRIs, RFC 5646 language tags, ISO 8601 durations and timestamps.
#include <catch2/catch.hpp>

#include "domain/xapi/formats.h"
#include "edfleet/core/time_format.h"

using namespace edfleet::ingest::xapi;

TEST_CASE("versions 1.0.x and 2.0.x are recognised, others are not", "[xapi][formats]") {
  CHECK(parse_version("1.0") == Version::k1_0);
  CHECK(parse_version("1.0.0") == Version::k1_0);
  CHECK(parse_version("1.0.3") == Version::k1_0);
  CHECK(parse_version("2.0") == Version::k2_0);
  CHECK(parse_version("2.0.0") == Version::k2_0);
  for (const char* bad : {"", "1", "0.95", "1.1", "1.0.", "1.0.x", "2.1.0", "3.0.0", " 1.0.3", "1.0.03"}) {
    INFO(bad);
    CHECK_FALSE(parse_version(bad));
  }
}

TEST_CASE("IRIs need a scheme and no spaces", "[xapi][formats]") {
  for (const char* good : {"http://adlnet.gov/expapi/verbs/completed", "https://example.com/a?b=c#d", "urn:uuid:1",
                           "tag:example.com,2026:x", "http://例え.jp/π"}) {
    INFO(good);
    CHECK(is_iri(good));
  }
  for (const char* bad : {"", "completed", "/relative/path", "://no-scheme", "1http://x", "http:", "http://a b",
                          "http://x\ty"}) {
    INFO(bad);
    CHECK_FALSE(is_iri(bad));
  }
}

TEST_CASE("RFC 5646 language tags: well-formed and malformed", "[xapi][formats]") {
  for (const char* good : {"en", "en-US", "EN-us", "fr-CA", "zh-Hant", "zh-Hant-TW", "sr-Latn-RS", "es-419",
                           "de-CH-1901", "sl-rozaj-biske", "en-a-bbb-x-a-ccc", "x-whatever", "i-klingon",
                           "en-GB-oed", "zh-min-nan", "und", "zh-yue-HK", "hy-Latn-IT-arevela", "qaa-Qaaa-QM-x-southern"}) {
    INFO(good);
    CHECK(is_language_tag(good));
  }
  for (const char* bad : {"", "e", "en_US", "en-", "-en", "en--US", "englishlanguage", "en-US-", "a-DE",
                          "ar-a-aaa-b-bbb-a", "en-x", "abcdefghi", "en-US-x-abcdefghi", "12", "en US"}) {
    INFO(bad);
    CHECK_FALSE(is_language_tag(bad));
  }
}

TEST_CASE("ISO 8601 durations in the 4.4.3.2 format only", "[xapi][formats]") {
  for (const char* good : {"PT1H30M", "P1Y2M3DT4H5M6S", "PT4.5S", "P3W", "P0D", "PT0S", "PT1.25H", "P1DT12H",
                           "PT36H", "P2Y"}) {
    INFO(good);
    CHECK(is_duration(good));
  }
  for (const char* bad : {"", "P", "PT", "P1DT", "1H", "PT1H30", "P0003-06-04T12:30:05", "PT1.5H30M", "pt1h",
                          "P1H", "PT1D", "P-1D", "PT 1H"}) {
    INFO(bad);
    CHECK_FALSE(is_duration(bad));
  }
}

TEST_CASE("mbox and mbox_sha1sum formats", "[xapi][formats]") {
  CHECK(is_mailto_iri("mailto:ada@example.com"));
  CHECK_FALSE(is_mailto_iri("ada@example.com"));
  CHECK_FALSE(is_mailto_iri("mailto:"));
  CHECK_FALSE(is_mailto_iri("mailto:ada"));
  CHECK_FALSE(is_mailto_iri("mailto:@example.com"));
  CHECK_FALSE(is_mailto_iri("mailto:a@b@c"));
  CHECK(is_mailto_iri("MAILTO:ada@example.com"));  // schemes are case-insensitive (RFC 3986 3.1)
  CHECK_FALSE(is_mailto_iri("mailbox:ada@example.com"));
  CHECK(is_sha1_hex("ebd31e95054c018b10727ccffd2ef2ec3a016ee9"));
  CHECK(is_sha1_hex("EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"));
  CHECK_FALSE(is_sha1_hex("ebd31e95054c018b10727ccffd2ef2ec3a016ee"));
  CHECK_FALSE(is_sha1_hex("zbd31e95054c018b10727ccffd2ef2ec3a016ee9"));
}

TEST_CASE("timestamps: 1.0.3 takes ISO 8601, 2.0 requires RFC 3339, both normalised to UTC", "[xapi][formats]") {
  const auto utc = *edfleet::core::parse_rfc3339("2013-05-18T05:32:34.804Z");
  CHECK(parse_timestamp("2013-05-18T05:32:34.804Z", Version::k1_0) == utc);
  CHECK(parse_timestamp("2013-05-18T05:32:34.804+00:00", Version::k2_0) == utc);
  CHECK(parse_timestamp("2013-05-18T07:32:34.804+02:00", Version::k2_0) == utc);
  CHECK(parse_timestamp("2013-05-18T00:02:34.804-05:30", Version::k1_0) == utc);
  // ISO 8601 forms RFC 3339 does not have: basic offsets, hour-only offsets, no zone (taken as UTC).
  CHECK(parse_timestamp("2013-05-18T07:32:34.804+0200", Version::k1_0) == utc);
  CHECK(parse_timestamp("2013-05-18T07:32:34.804+02", Version::k1_0) == utc);
  CHECK(parse_timestamp("2013-05-18T05:32:34.804", Version::k1_0) == utc);
  CHECK_FALSE(parse_timestamp("2013-05-18T07:32:34.804+0200", Version::k2_0));
  CHECK_FALSE(parse_timestamp("2013-05-18T05:32:34.804", Version::k2_0));
  // ISO 8601 basic format and reduced accuracy (1.0.3 only).
  CHECK(parse_timestamp("20130518T073234,804+0200", Version::k1_0) == utc);
  CHECK(parse_timestamp("2013-05-18T05:32Z", Version::k1_0) == utc - std::chrono::milliseconds(34804));
  CHECK_FALSE(parse_timestamp("20130518T053234.804Z", Version::k2_0));
  CHECK_FALSE(parse_timestamp("2013-05-18T05:32Z", Version::k2_0));
  // RFC 3339 allows lowercase t / z.
  CHECK(parse_timestamp("2013-05-18t05:32:34.804z", Version::k2_0) == utc);
  // Sub-millisecond precision is kept (to microseconds).
  CHECK(parse_timestamp("2013-05-18T05:32:34.804123Z", Version::k2_0) == utc + std::chrono::microseconds(123));
  for (const char* bad : {"", "2013-05-18", "2013-05-18 05:32:34Z", "2013-13-18T05:32:34Z", "2013-02-30T05:32:34Z",
                          "2013-05-18T24:00:01Z", "2013-05-18T05:32:34.Z", "2013-05-18T05:32:34.804-00:00",
                          "2013-05-18T05:32:34-0000", "2013-05-18T05:32:34-00", "2013-05-18T05:32:Z", "05/18/2013",
                          "2013-05-18T05:32:34ZZ", "0000-01-01T00:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_timestamp(bad, Version::k1_0));
    CHECK_FALSE(parse_timestamp(bad, Version::k2_0));
  }
}

TEST_CASE("durations compare to 0.01 s, otherwise as strings", "[xapi][formats]") {
  CHECK(duration_comparison_form("PT1.504S") == "PT1.5S");
  CHECK(duration_comparison_form("PT1,50S") == "PT1.5S");
  CHECK(duration_comparison_form("PT1.00S") == "PT1S");
  CHECK(duration_comparison_form("PT0.019S") == "PT0.01S");
  CHECK(duration_comparison_form("PT1H30M") == "PT1H30M");
  CHECK(duration_comparison_form("PT1.5H") == "PT1.5H");  // only seconds are cut
}

TEST_CASE("the LRS writes timestamps in UTC with at least milliseconds", "[xapi][formats]") {
  CHECK(format_timestamp(*edfleet::core::parse_rfc3339("2026-11-25T10:30:00+01:00")) == "2026-11-25T09:30:00.000Z");
  CHECK(format_timestamp(*edfleet::core::parse_rfc3339("2026-11-25T09:30:00.5Z")) == "2026-11-25T09:30:00.500Z");
  CHECK(format_timestamp(*edfleet::core::parse_rfc3339("2026-11-25T09:30:00.000123Z")) ==
        "2026-11-25T09:30:00.000123Z");
}
