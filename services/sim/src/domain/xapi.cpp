#include "domain/xapi.h"

#include <nlohmann/json.hpp>

#include "edfleet/core/time_format.h"

namespace edfleet::sim {

const char* xapi_verb_name(XapiVerb verb) {
  switch (verb) {
    case XapiVerb::kLaunched: return "launched";
    case XapiVerb::kProgressed: return "progressed";
    case XapiVerb::kCompleted: return "completed";
    case XapiVerb::kPassed: return "passed";
    case XapiVerb::kFailed: return "failed";
  }
  return "experienced";
}

std::string iso8601_duration(std::chrono::seconds duration) {
  auto total = duration.count() < 0 ? 0 : duration.count();
  const auto hours = total / 3600;
  const auto minutes = (total % 3600) / 60;
  const auto seconds = total % 60;
  std::string out = "PT";
  if (hours > 0) out += std::to_string(hours) + "H";
  if (minutes > 0) out += std::to_string(minutes) + "M";
  if (seconds > 0 || total == 0) out += std::to_string(seconds) + "S";
  return out;
}

std::string xapi_statement_json(XapiVerb verb, const XapiActivity& activity, const XapiResult& result,
                                const std::string& statement_id, core::Timestamp at) {
  const std::string home = "https://" + activity.tenant + ".edfleet.example";
  const std::string verb_name = xapi_verb_name(verb);
  nlohmann::json statement = {
      {"id", statement_id},
      {"actor", {{"objectType", "Agent"}, {"account", {{"homePage", home}, {"name", activity.learner_id}}}}},
      {"verb", {{"id", "http://adlnet.gov/expapi/verbs/" + verb_name}, {"display", {{"en-US", verb_name}}}}},
      {"object",
       {{"objectType", "Activity"},
        {"id", home + "/courses/" + activity.course_id},
        {"definition",
         {{"name", {{"en-US", activity.course_title}}}, {"type", "http://adlnet.gov/expapi/activities/course"}}}}},
      {"timestamp", core::format_rfc3339(at)},
  };
  if (!activity.session_id.empty()) {
    statement["context"] = {{"platform", "edfleet-sim"},
                            {"extensions", {{home + "/xapi/extensions/tutoring-session", activity.session_id}}}};
  }
  nlohmann::json out = nlohmann::json::object();
  if (result.score_raw && result.score_max && *result.score_max > 0) {
    out["score"] = {{"raw", *result.score_raw}, {"min", 0}, {"max", *result.score_max},
                    {"scaled", *result.score_raw / *result.score_max}};
  }
  if (result.success) out["success"] = *result.success;
  if (result.completion) out["completion"] = *result.completion;
  if (result.duration) out["duration"] = iso8601_duration(*result.duration);
  if (result.progress_percent) {
    out["extensions"] = {{"https://w3id.org/xapi/cmi5/result/extensions/progress", *result.progress_percent}};
  }
  if (!out.empty()) statement["result"] = std::move(out);
  return statement.dump();
}

}  // namespace edfleet::sim
