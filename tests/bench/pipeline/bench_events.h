// The events the pipeline benchmark sends: valid events of every family (xapi, quizzes, live
// sessions, tutoring operations), cut from the end-to-end test's generator (tests/e2e/event_mix.h),
// re-keyed onto the benchmark's tenants and learners with fresh ids. Also what ingest would write
// to Kafka for each (same value, key and CloudEvents headers), so that raw producing and producing
// through ingest move the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "edfleet/core/clock.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/kafka/message.h"

namespace edfleet::bench {

// The tenants and learners events are spread over; the bulk-loaded analytics store uses the same
// names, so events arriving through Kafka update existing rows as they would in production.
struct Population {
  int tenants = 10;
  int learners_per_tenant = 10000;
  int days = 365;   // occurred_at within the last `days` days (events stamped "now" use today)
  static std::string tenant(int index);    // "tenant-07"
  static std::string learner(int index);   // "learner-00042"
};

class EventFactory {
 public:
  EventFactory(Population population, std::uint64_t seed);

  // A new valid event (fresh UUID) of a random family, for a random tenant and learner (when its
  // type has one). `at` = occurred_at; nullopt = a random time within the population's days.
  events::v1::Event next(std::optional<core::Timestamp> at = std::nullopt);
  // A new valid event of a type about learners, for exactly this tenant and learner.
  events::v1::Event next_for(const std::string& tenant, const std::string& learner, core::Timestamp at);

  // `count` events, occurred_at spread like next().
  std::vector<events::v1::Event> many(std::size_t count, std::optional<core::Timestamp> at = std::nullopt);

  const Population& population() const { return population_; }

 private:
  events::v1::Event from_template(const events::v1::Event& templ, const std::string& tenant,
                                  const std::string& learner, core::Timestamp at);

  Population population_;
  std::mt19937_64 rng_;
  std::uint64_t sequence_ = 0;  // the last live-class sequence handed out
  std::vector<events::v1::Event> templates_;          // one valid event of each family, several times
  std::vector<std::size_t> learner_templates_;       // indexes of templates with a learner
};

// The record ingest produces for an accepted event: the event with received_at and trace_id stamped
// as value, key "<tenant>/<learner|tutor|session|course|id>", CloudEvents binary-mode headers.
kafka::OutgoingMessage ingest_record(const events::v1::Event& event, std::string_view topic, core::Timestamp received_at);

// The proto3 JSON array POST /v1/events takes.
std::string json_array(const std::vector<events::v1::Event>& events, std::size_t from, std::size_t count);

core::Timestamp to_timestamp(const google::protobuf::Timestamp& t);
void set_timestamp(google::protobuf::Timestamp& out, core::Timestamp t);

}  // namespace edfleet::bench
