// The statement the xAPI unit tests start from: valid in 1.0.3 and 2.0, with every required property and
// the optional ones a typical client sends (id, Agent objectType and name, Verb display, timestamp).
#pragma once

namespace edfleet::ingest::xapi_test {

inline constexpr const char* kBaseStatement = R"({
  "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
  "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"},
  "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
  "object": {"id": "https://lms.example.com/course/algebra-1", "objectType": "Activity"},
  "timestamp": "2026-11-25T09:30:00.000Z"
})";

}  // namespace edfleet::ingest::xapi_test
