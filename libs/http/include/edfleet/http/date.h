// HTTP dates (RFC 9110 §5.6.7, IMF-fixdate): the Date header every answer carries (§6.6.1: an
// origin server with a clock must send one; clients measure clock skew from it) and Last-Modified.
#pragma once

#include <chrono>
#include <string>

namespace edfleet::http {

// "Sun, 06 Nov 1994 08:49:37 GMT" for `at` (UTC, whole seconds).
std::string imf_fixdate(std::chrono::system_clock::time_point at);

}  // namespace edfleet::http
