#include <set>

#include <catch2/catch.hpp>

#include "edfleet/contracts/topics.h"

namespace contracts = edfleet::contracts;

TEST_CASE("dlq_topic appends .dlq", "[topics]") {
  CHECK(contracts::dlq_topic("edfleet.events.v1") == "edfleet.events.v1.dlq");
  CHECK(contracts::dlq_topic("x") == "x.dlq");
  CHECK(contracts::dlq_topic(contracts::kAlertsTopic) == "edfleet.alerts.v1.dlq");
}

TEST_CASE("fleet_topics lists the data topics with their partitions, then one DLQ each", "[topics]") {
  const auto& topics = contracts::fleet_topics();
  REQUIRE(topics.size() == 12);

  struct Expected {
    std::string_view name;
    int partitions;
    std::string_view payload;
  };
  const Expected expected[] = {
      {contracts::kEventsTopic, 12, "edfleet.events.v1.Event"},
      {contracts::kActionsTopic, 12, "edfleet.rules.v1.Action"},
      {contracts::kInsightsTopic, 4, "edfleet.summaries.v1.Insight"},
      {contracts::kAlertsTopic, 4, "edfleet.notify.v1.Alert"},
      {contracts::kDeliveriesTopic, 4, "edfleet.notify.v1.Delivery"},
      {contracts::kRulesRepartitionTopic, 12, "edfleet.events.v1.Event"},
  };
  for (std::size_t i = 0; i < 6; ++i) {
    INFO(expected[i].name);
    CHECK(topics[i].name == expected[i].name);
    CHECK(topics[i].partitions == expected[i].partitions);
    CHECK(topics[i].payload_type == expected[i].payload);
    CHECK_FALSE(topics[i].description.empty());

    const auto& dlq = topics[i + 6];
    CHECK(dlq.name == contracts::dlq_topic(expected[i].name));
    CHECK(dlq.partitions == 1);
    CHECK(dlq.payload_type == expected[i].payload);
    CHECK_FALSE(dlq.description.empty());
  }

  std::set<std::string> names;
  for (const auto& topic : topics) names.insert(topic.name);
  CHECK(names.size() == topics.size());
}

TEST_CASE("topic names match the PLAN's literal names", "[topics]") {
  CHECK(contracts::kEventsTopic == "edfleet.events.v1");
  CHECK(contracts::kActionsTopic == "edfleet.actions.v1");
  CHECK(contracts::kInsightsTopic == "edfleet.insights.v1");
  CHECK(contracts::kAlertsTopic == "edfleet.alerts.v1");
  CHECK(contracts::kDeliveriesTopic == "edfleet.deliveries.v1");
}

TEST_CASE("find_topic looks up the catalogue", "[topics]") {
  const auto* events = contracts::find_topic("edfleet.events.v1");
  REQUIRE(events != nullptr);
  CHECK(events->partitions == 12);
  const auto* dlq = contracts::find_topic("edfleet.deliveries.v1.dlq");
  REQUIRE(dlq != nullptr);
  CHECK(dlq->partitions == 1);
  CHECK(contracts::find_topic("edfleet.unknown.v1") == nullptr);
  CHECK(contracts::find_topic("") == nullptr);
}
