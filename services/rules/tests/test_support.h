// Helpers shared by the evaluator tests: times from RFC 3339 text, and UUID-shaped event ids
// (the engine keeps ids as 128 bits, so tests use real UUIDs).
#pragma once

#include <cstdio>
#include <string>

#include "edfleet/core/time_format.h"

namespace edfleet::rules::testing {

inline core::Timestamp at(const char* text) { return *core::parse_rfc3339(text); }

inline std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
  return buf;
}

}  // namespace edfleet::rules::testing
