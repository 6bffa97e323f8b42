#include <set>

#include <catch2/catch.hpp>

#include "edfleet/kafka/consumer.h"
#include "edfleet/kafka/message.h"
#include "edfleet/kafka/topics.h"

namespace kafka = edfleet::kafka;

TEST_CASE("dlq_topic appends .dlq", "[topics]") {
  CHECK(kafka::dlq_topic("edfleet.events.v1") == "edfleet.events.v1.dlq");
  CHECK(kafka::dlq_topic("x") == "x.dlq");
  CHECK(kafka::dlq_topic(kafka::kAlertsTopic) == "edfleet.alerts.v1.dlq");
}

TEST_CASE("fleet_topics lists the data topics with their partitions, then one DLQ each", "[topics]") {
  const auto& topics = kafka::fleet_topics();
  REQUIRE(topics.size() == 12);

  struct Expected {
    std::string_view name;
    int partitions;
    std::string_view payload;
  };
  const Expected expected[] = {
      {kafka::kEventsTopic, 12, "edfleet.events.v1.Event"},
      {kafka::kActionsTopic, 12, "edfleet.rules.v1.Action"},
      {kafka::kInsightsTopic, 4, "edfleet.summaries.v1.Insight"},
      {kafka::kAlertsTopic, 4, "edfleet.notify.v1.Alert"},
      {kafka::kDeliveriesTopic, 4, "edfleet.notify.v1.Delivery"},
      {kafka::kRulesRepartitionTopic, 12, "edfleet.events.v1.Event"},
  };
  for (std::size_t i = 0; i < 6; ++i) {
    INFO(expected[i].name);
    CHECK(topics[i].name == expected[i].name);
    CHECK(topics[i].partitions == expected[i].partitions);
    CHECK(topics[i].payload_type == expected[i].payload);
    CHECK_FALSE(topics[i].description.empty());

    const auto& dlq = topics[i + 6];
    CHECK(dlq.name == kafka::dlq_topic(expected[i].name));
    CHECK(dlq.partitions == 1);
    CHECK(dlq.payload_type == expected[i].payload);
    CHECK_FALSE(dlq.description.empty());
  }

  std::set<std::string> names;
  for (const auto& topic : topics) names.insert(topic.name);
  CHECK(names.size() == topics.size());
}

TEST_CASE("topic names match the PLAN's literal names", "[topics]") {
  CHECK(kafka::kEventsTopic == "edfleet.events.v1");
  CHECK(kafka::kActionsTopic == "edfleet.actions.v1");
  CHECK(kafka::kInsightsTopic == "edfleet.insights.v1");
  CHECK(kafka::kAlertsTopic == "edfleet.alerts.v1");
  CHECK(kafka::kDeliveriesTopic == "edfleet.deliveries.v1");
}

TEST_CASE("find_topic looks up the catalogue", "[topics]") {
  const auto* events = kafka::find_topic("edfleet.events.v1");
  REQUIRE(events != nullptr);
  CHECK(events->partitions == 12);
  const auto* dlq = kafka::find_topic("edfleet.deliveries.v1.dlq");
  REQUIRE(dlq != nullptr);
  CHECK(dlq->partitions == 1);
  CHECK(kafka::find_topic("edfleet.unknown.v1") == nullptr);
  CHECK(kafka::find_topic("") == nullptr);
}

TEST_CASE("ConsumedMessage::header returns the last header of that name", "[message]") {
  kafka::ConsumedMessage message;
  message.headers = {{"a", "1"}, {"b", "2"}, {"a", "3"}, {"empty", ""}};
  CHECK(message.header("a") == std::optional<std::string>("3"));
  CHECK(message.header("b") == std::optional<std::string>("2"));
  CHECK(message.header("empty") == std::optional<std::string>(""));
  CHECK_FALSE(message.header("c").has_value());
  CHECK_FALSE(message.header("A").has_value());  // header names are case-sensitive in Kafka
}

TEST_CASE("PoisonMessage carries the index and the reason", "[consumer]") {
  kafka::PoisonMessage poison(7, "unparseable payload");
  CHECK(poison.index == 7);
  CHECK(std::string(poison.what()) == "unparseable payload");
  const std::runtime_error& base = poison;  // handlers may catch it as a runtime_error
  CHECK(std::string(base.what()) == "unparseable payload");
}
