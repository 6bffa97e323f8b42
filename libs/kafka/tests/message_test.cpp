#include <optional>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "edfleet/kafka/consumer.h"
#include "edfleet/kafka/message.h"

namespace kafka = edfleet::kafka;

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
