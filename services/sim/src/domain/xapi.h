// xAPI statements as the simulated learning record store sends them: ADL verbs (launched,
// progressed, completed, passed, failed) about a course activity, with scores and durations, as the
// JSON text that goes into XapiStatement.statement_json.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "edfleet/core/clock.h"

namespace edfleet::sim {

enum class XapiVerb { kLaunched, kProgressed, kCompleted, kPassed, kFailed };

// "launched", "progressed", ...
const char* xapi_verb_name(XapiVerb verb);

struct XapiActivity {
  std::string tenant;
  std::string learner_id;
  std::string course_id;
  std::string course_title;
  std::string session_id;        // the tutoring session, as the statement's registration context
};

struct XapiResult {
  std::optional<double> score_raw;
  std::optional<double> score_max;
  std::optional<bool> success;
  std::optional<bool> completion;
  std::optional<std::chrono::seconds> duration;
  std::optional<int> progress_percent;
};

// One statement object (keys sorted, no whitespace). `statement_id` is the statement's own id (the
// simulator uses the event id); `at` its timestamp.
std::string xapi_statement_json(XapiVerb verb, const XapiActivity& activity, const XapiResult& result,
                                const std::string& statement_id, core::Timestamp at);

// ISO 8601 duration as xAPI writes it, e.g. "PT45M12S", "PT0S".
std::string iso8601_duration(std::chrono::seconds duration);

}  // namespace edfleet::sim
