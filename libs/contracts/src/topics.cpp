#include "edfleet/contracts/topics.h"

namespace edfleet::contracts {

const std::vector<TopicSpec>& fleet_topics() {
  static const std::vector<TopicSpec> topics = [] {
    std::vector<TopicSpec> base = {
        {std::string(kEventsTopic), 12, "edfleet.events.v1.Event",
         "Validated learning and operations events accepted by ingest; key <tenant>/<subject>."},
        {std::string(kActionsTopic), 12, "edfleet.rules.v1.Action",
         "Decisions of the rules engine, with the evidence that made each rule fire."},
        {std::string(kInsightsTopic), 4, "edfleet.summaries.v1.Insight",
         "AI session summaries and explained predictions produced by summaries."},
        {std::string(kAlertsTopic), 4, "edfleet.notify.v1.Alert",
         "Alerts raised by rules (and others) for people to act on."},
        {std::string(kDeliveriesTopic), 4, "edfleet.notify.v1.Delivery",
         "One record per notification delivery attempt outcome."},
        {std::string(kRulesRepartitionTopic), 12, "edfleet.events.v1.Event",
         "Internal to rules: events re-keyed <tenant>/<group value> for rules grouped by another field."},
    };
    std::vector<TopicSpec> all = base;
    for (const auto& topic : base) {
      all.push_back({dlq_topic(topic.name), 1, topic.payload_type,
                     "Dead letters of " + topic.name +
                         ": records its consumers could never process, with x-edfleet-error headers."});
    }
    return all;
  }();
  return topics;
}

std::string dlq_topic(std::string_view topic) {
  std::string name(topic);
  name += kDlqSuffix;
  return name;
}

const TopicSpec* find_topic(std::string_view name) {
  for (const auto& topic : fleet_topics()) {
    if (topic.name == name) return &topic;
  }
  return nullptr;
}

}  // namespace edfleet::contracts
