// What a rule decided to do (the domain form of edfleet.rules.v1.Action), with its evidence.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "domain/plan.h"
#include "edfleet/core/clock.h"

namespace edfleet::rules {

struct Action {
  std::string id;                 // deterministic: see action_id()
  std::string tenant;
  std::string rule_id;
  std::uint32_t rule_version = 0;
  std::string key;                // the group key value ("" = the whole tenant)
  core::Timestamp fired_at{};     // event time of the firing
  std::string trace_id;           // of the triggering event, when there is one
  // Evidence.
  std::vector<std::string> event_ids;
  std::vector<std::pair<std::string, double>> values;
  std::string explanation;
  // What to do.
  ActionKind kind = ActionKind::kNotify;
  std::string target;             // recipient | badge | alert kind | insight kind | event type | url
  std::string detail;             // notify: template; raise_alert: severity
  std::string subject_id;         // award_badge: learner; request_insight: subject
  std::vector<std::string> channels;
  std::vector<std::pair<std::string, std::string>> variables;
  std::string body_json;          // emit payload / webhook body / raise_alert summary
};

// A UUID-shaped id derived (SHA-256) from the rule, version, key, what fired it (a window, a timer,
// an event) and the action's index, so a replay yields the same id and never a second action.
std::string action_id(const std::string& tenant, const std::string& rule_id, std::uint32_t version,
                      const std::string& key, const std::string& discriminator, std::size_t index);

}  // namespace edfleet::rules
