#include <catch2/catch.hpp>

#include "edfleet/http/date.h"

using edfleet::http::imf_fixdate;

TEST_CASE("HTTP dates are IMF-fixdate in GMT (RFC 9110 5.6.7)") {
  // RFC 9110's own example: 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
  CHECK(imf_fixdate(std::chrono::system_clock::time_point(std::chrono::seconds(784111777))) ==
        "Sun, 06 Nov 1994 08:49:37 GMT");
  // Fractions of a second are dropped, never rounded up.
  CHECK(imf_fixdate(std::chrono::system_clock::time_point(std::chrono::milliseconds(784111777999))) ==
        "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(imf_fixdate(std::chrono::system_clock::time_point(std::chrono::seconds(1796688000))) ==
        "Tue, 08 Dec 2026 00:00:00 GMT");
}
