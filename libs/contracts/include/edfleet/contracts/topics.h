// The fleet's Kafka topics (part of the event contract, libs/contracts): the single list of every topic edfleet produces to or consumes from, with
// its partition count and payload type, so that brokers, charts and the CLI agree on one catalogue.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edfleet::contracts {

// One topic of the catalogue. `payload_type` is the fully qualified protobuf message carried as the
// record value (dead-letter topics carry the payload of their source topic unchanged).
struct TopicSpec {
  std::string name;
  int partitions = 1;
  std::string payload_type;
  std::string description;
};

inline constexpr std::string_view kEventsTopic = "edfleet.events.v1";
inline constexpr std::string_view kActionsTopic = "edfleet.actions.v1";
inline constexpr std::string_view kInsightsTopic = "edfleet.insights.v1";
inline constexpr std::string_view kAlertsTopic = "edfleet.alerts.v1";
inline constexpr std::string_view kDeliveriesTopic = "edfleet.deliveries.v1";
inline constexpr std::string_view kDlqSuffix = ".dlq";
// Internal to edfleet-rules: edfleet.events.v1 records re-keyed "<tenant>/<group value>" for rules
// grouped by a field the events are not partitioned by (services/rules/README.md "Repartitioning").
inline constexpr std::string_view kRulesRepartitionTopic = "edfleet.rules.repartition.v1";

// Every fleet topic, the five data topics and rules' internal repartition topic first, then their
// dead-letter topics (one partition each).
const std::vector<TopicSpec>& fleet_topics();

// The dead-letter topic of `topic`: topic + ".dlq".
std::string dlq_topic(std::string_view topic);

// The catalogue entry named `name`, or nullptr when it is not a fleet topic.
const TopicSpec* find_topic(std::string_view name);

}  // namespace edfleet::contracts
