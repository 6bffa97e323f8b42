#include <catch2/catch.hpp>

#include "edfleet/core/time_format.h"
#include "edfleet/kafka/cloud_events.h"

namespace kafka = edfleet::kafka;
using edfleet::core::Timestamp;

namespace {

Timestamp at(std::string_view text) {
  auto parsed = edfleet::core::parse_rfc3339(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

}  // namespace

TEST_CASE("cloud_event_headers sets the CloudEvents Kafka binding headers in order", "[cloud_events]") {
  kafka::CloudEventAttributes attributes{
      .id = "0f8fad5b-d9cb-469f-a165-70867728950e",
      .type = "quiz.submitted",
      .source = "/tenants/acme/ingest",
      .subject = "acme/learner-42",
      .time = at("2026-11-25T09:30:00.000123Z"),
  };
  const kafka::Headers expected = {
      {"ce_specversion", "1.0"},
      {"ce_id", "0f8fad5b-d9cb-469f-a165-70867728950e"},
      {"ce_type", "quiz.submitted"},
      {"ce_source", "/tenants/acme/ingest"},
      {"ce_time", "2026-11-25T09:30:00.000123Z"},
      {"ce_subject", "acme/learner-42"},
      {"content-type", "application/protobuf"},
  };
  CHECK(kafka::cloud_event_headers(attributes) == expected);
}

TEST_CASE("cloud_event_headers writes the time in UTC and omits an empty subject", "[cloud_events]") {
  kafka::CloudEventAttributes attributes{
      .id = "e1", .type = "xapi.statement", .source = "ingest", .subject = "",
      .time = at("2026-11-25T10:30:00+01:00")};
  const auto headers = kafka::cloud_event_headers(attributes);
  const kafka::Headers expected = {
      {"ce_specversion", "1.0"},   {"ce_id", "e1"},
      {"ce_type", "xapi.statement"}, {"ce_source", "ingest"},
      {"ce_time", "2026-11-25T09:30:00Z"}, {"content-type", "application/protobuf"},
  };
  CHECK(headers == expected);
}

TEST_CASE("cloud_event_headers round-trip through a consumed message", "[cloud_events]") {
  kafka::CloudEventAttributes attributes{
      .id = "e2", .type = "session.started", .source = "ingest", .subject = "acme/s-1",
      .time = at("2026-01-02T03:04:05Z")};
  kafka::ConsumedMessage message;
  message.headers = kafka::cloud_event_headers(attributes);
  CHECK(message.header("ce_type") == std::optional<std::string>("session.started"));
  auto time = message.header("ce_time");
  REQUIRE(time.has_value());
  CHECK(edfleet::core::parse_rfc3339(*time) == attributes.time);
}
