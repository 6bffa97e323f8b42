// End-to-end: the first data path, ingest -> Kafka -> analytics, through the real binaries.
//
// 10,000 events (event_mix.h: several tenants, days, learners and types; ~5% invalid in every way
// ingest knows; ~5% repeated ids, within and across batches, some with different content) go to
// edfleet-ingest over gRPC in batches of 1,000. Every per-event answer is checked against the
// expectation, then analytics' counts and learner summaries must equal what the test computed from
// the valid, unique events: each counted exactly once, none lost, tenants kept apart.
#include <catch2/catch.hpp>

#include <sstream>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "edfleet/analytics/v1/analytics.grpc.pb.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/time_format.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/ingest/v1/ingest.grpc.pb.h"
#include "edfleet/testing/testing.h"
#include "event_mix.h"

namespace {

using namespace edfleet;
using e2e::DayType;

std::shared_ptr<::grpc::Channel> channel_to(int port) {
  ::grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  return ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), ::grpc::InsecureChannelCredentials(), args);
}

void with_deadline(::grpc::ClientContext& context, std::chrono::seconds timeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
}

std::string describe_result(const ingest::v1::EventResult& r) {
  std::ostringstream out;
  out << "accepted=" << r.accepted() << " duplicate=" << r.duplicate()
      << " reason=" << ingest::v1::RejectReason_Name(r.reason()) << " field=" << r.field() << " message=" << r.message();
  return out.str();
}

// Checks one batch's answer against the expectations; returns the mismatches, readable.
std::vector<std::string> check_batch(std::size_t b, const e2e::Batch& batch, const ingest::v1::PublishResponse& response) {
  std::vector<std::string> problems;
  if (static_cast<std::size_t>(response.results_size()) != batch.events.size()) {
    problems.push_back("batch " + std::to_string(b) + ": " + std::to_string(response.results_size()) + " results for " +
                       std::to_string(batch.events.size()) + " events");
    return problems;
  }
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    const auto& r = response.results(static_cast<int>(i));
    const auto& want = batch.expected[i];
    bool ok = r.accepted() == want.accepted && r.duplicate() == want.duplicate && r.id() == batch.events[i].id();
    if (!want.accepted) {
      ok = ok && r.reason() == want.reason && !r.message().empty();
      if (want.field) ok = ok && r.field() == *want.field;
    }
    if (r.accepted()) ++accepted;
    if (!ok) {
      problems.push_back("batch " + std::to_string(b) + " event " + std::to_string(i) + " (" + want.what + ", id " +
                         batch.events[i].id() + "): expected accepted=" + std::to_string(want.accepted) +
                         " duplicate=" + std::to_string(want.duplicate) + " reason=" +
                         ingest::v1::RejectReason_Name(want.reason) + (want.field ? " field=" + *want.field : "") +
                         "; got " + describe_result(r));
    }
  }
  if (response.accepted() != accepted || response.rejected() != batch.events.size() - accepted) {
    problems.push_back("batch " + std::to_string(b) + ": totals accepted=" + std::to_string(response.accepted()) +
                       " rejected=" + std::to_string(response.rejected()) + " do not match the results");
  }
  return problems;
}

ingest::v1::PublishResponse publish(ingest::v1::IngestService::Stub& stub, const e2e::Batch& batch) {
  ingest::v1::PublishRequest request;
  for (const auto& event : batch.events) *request.add_events() = event;
  ::grpc::ClientContext context;
  with_deadline(context, std::chrono::seconds(60));
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {batch.caller_tenant, "service:tests", ""});
  ingest::v1::PublishResponse response;
  auto status = stub.Publish(&context, request, &response);
  INFO("Publish: " << status.error_code() << " " << status.error_message());
  REQUIRE(status.ok());
  return response;
}

std::map<DayType, std::uint64_t> event_counts(analytics::v1::AnalyticsService::Stub& stub, const std::string& tenant,
                                              const std::string& from, const std::string& to,
                                              std::uint64_t* total = nullptr) {
  analytics::v1::GetEventCountsRequest request;
  request.set_from_day(from);
  request.set_to_day(to);
  ::grpc::ClientContext context;
  with_deadline(context, std::chrono::seconds(10));
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
  analytics::v1::GetEventCountsResponse response;
  auto status = stub.GetEventCounts(&context, request, &response);
  INFO("GetEventCounts: " << status.error_code() << " " << status.error_message());
  REQUIRE(status.ok());
  std::map<DayType, std::uint64_t> counts;
  std::uint64_t sum = 0;
  for (const auto& c : response.counts()) {
    counts[{c.day(), c.type()}] += c.count();
    sum += c.count();
  }
  CHECK(response.total() == sum);
  if (total != nullptr) *total = response.total();
  return counts;
}

std::string diff(const std::map<DayType, std::uint64_t>& want, const std::map<DayType, std::uint64_t>& got) {
  std::ostringstream out;
  std::size_t shown = 0;
  auto show = [&](const DayType& key, std::uint64_t w, std::uint64_t g) {
    if (w != g && shown++ < 15) out << "  " << key.first << " " << key.second << ": want " << w << ", got " << g << "\n";
  };
  for (const auto& [key, w] : want) show(key, w, got.count(key) != 0 ? got.at(key) : 0);
  for (const auto& [key, g] : got) {
    if (want.count(key) == 0) show(key, 0, g);
  }
  return out.str();
}

}  // namespace

TEST_CASE("10,000 events flow through ingest and Kafka into analytics, each valid one counted exactly once", "[data_path]") {
  const auto now = core::SystemClock::instance().now();
  const e2e::EventMix mix = e2e::make_event_mix(10000, 1000, now, /*seed=*/20261125);
  // The mix is what the test says it is (the rates are part of the test's claim).
  REQUIRE(mix.batches.size() == 10);
  CHECK(mix.expected.rejected > 400);
  CHECK(mix.expected.rejected < 700);
  CHECK(mix.expected.rejected_by_reason.size() == 7);    // every RejectReason a producer can cause
  CHECK(mix.expected.duplicates > 300);
  CHECK(mix.expected.rejected_by_reason.at(ingest::v1::REJECT_REASON_ID_REUSED) > 50);

  std::map<std::string, std::string> env = {
      {"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
      {"EDFLEET_INGEST_POSTGRES_URL", testing::fresh_database("e2e_ingest")},
      {"EDFLEET_ANALYTICS_POSTGRES_URL", testing::fresh_database("e2e_analytics")},
      {"EDFLEET_INGEST_GRPC_PORT", "0"},
      {"EDFLEET_INGEST_HTTP_PORT", "0"},
      {"EDFLEET_ANALYTICS_GRPC_PORT", "0"},
      {"EDFLEET_ANALYTICS_HTTP_PORT", "0"},
  };
  testing::ServiceProcess analytics_process("edfleet-analytics", env);
  testing::ServiceProcess ingest_process("edfleet-ingest", env);
  auto ingest = ingest::v1::IngestService::NewStub(channel_to(ingest_process.grpc_port()));
  auto analytics = analytics::v1::AnalyticsService::NewStub(channel_to(analytics_process.grpc_port()));

  // Publish, and check every event's answer.
  std::vector<std::string> problems;
  std::size_t accepted_new = 0;
  std::size_t duplicates = 0;
  std::size_t rejected = 0;
  for (std::size_t b = 0; b < mix.batches.size(); ++b) {
    auto response = publish(*ingest, mix.batches[b]);
    auto found = check_batch(b, mix.batches[b], response);
    problems.insert(problems.end(), found.begin(), found.end());
    for (const auto& r : response.results()) {
      if (!r.accepted()) ++rejected;
      else if (r.duplicate()) ++duplicates;
      else ++accepted_new;
    }
  }
  {
    std::ostringstream first;
    for (std::size_t i = 0; i < std::min<std::size_t>(problems.size(), 20); ++i) first << problems[i] << "\n";
    INFO(problems.size() << " per-event mismatches; the first ones:\n" << first.str());
    CHECK(problems.empty());
  }
  CHECK(accepted_new == mix.expected.accepted_new);
  CHECK(duplicates == mix.expected.duplicates);
  CHECK(rejected == mix.expected.rejected);

  // Publishing a batch again changes nothing: its accepted events come back as duplicates.
  {
    e2e::Batch again = mix.batches[0];
    for (auto& expected : again.expected) {
      if (expected.accepted) expected.duplicate = true;
    }
    auto response = publish(*ingest, again);
    auto found = check_batch(0, again, response);
    INFO((found.empty() ? std::string() : found.front()));
    CHECK(found.empty());
  }

  // Analytics converges on the expected counts, for every tenant.
  for (const auto& tenant : mix.tenants) {
    const auto& want = mix.expected.counts.at(tenant);
    std::map<DayType, std::uint64_t> got;
    bool converged = testing::wait_until(
        [&] {
          got = event_counts(*analytics, tenant, mix.first_day, mix.last_day);
          return got == want;
        },
        std::chrono::seconds(90));
    INFO("tenant " << tenant << " counts differ:\n" << diff(want, got));
    REQUIRE(converged);
  }

  // A sentinel: more events after everything else, spread over every partition (keys from random
  // ids). Once analytics has counted all of them, it has read every partition past the mix, so the
  // counts are final: nothing was counted twice and nothing arrives late.
  {
    e2e::Batch sentinel;
    const auto sentinel_day = *core::parse_day("2025-06-20");
    for (std::uint64_t i = 0; i < 240; ++i) {
      events::v1::Event e;
      e.set_id(e2e::format_uuid(0x5e471e1000000000ULL + i, 0x9e3779b97f4a7c15ULL * (i + 1)));
      e.set_tenant("acme");
      e.set_type("ops.supply_demand_update");
      e.set_source("e2e.sentinel");
      e.mutable_occurred_at()->set_seconds(
          std::chrono::duration_cast<std::chrono::seconds>(sentinel_day.time_since_epoch()).count() +
          static_cast<std::int64_t>(i));
      e.mutable_supply_demand_update()->set_subject_area("algebra");
      sentinel.events.push_back(e);
      sentinel.expected.push_back({true, false, ingest::v1::REJECT_REASON_UNSPECIFIED, std::nullopt, "sentinel"});
    }
    auto response = publish(*ingest, sentinel);
    REQUIRE(check_batch(99, sentinel, response).empty());
    std::uint64_t total = 0;
    CHECK(testing::wait_until(
        [&] {
          event_counts(*analytics, "acme", "2025-06-20", "2025-06-20", &total);
          return total == 240;
        },
        std::chrono::seconds(60)));
    CHECK(total == 240);
  }
  for (const auto& tenant : mix.tenants) {
    const auto& want = mix.expected.counts.at(tenant);
    auto got = event_counts(*analytics, tenant, mix.first_day, mix.last_day);
    INFO("tenant " << tenant << " after the sentinel:\n" << diff(want, got));
    CHECK(got == want);
  }
  // A tenant that sent nothing sees nothing.
  std::uint64_t nobody_total = 1;
  CHECK(event_counts(*analytics, "nobody", mix.first_day, mix.last_day, &nobody_total).empty());
  CHECK(nobody_total == 0);

  // Learner summaries: the same learner ids exist in every tenant; each tenant sees only its own.
  for (const auto& [tenant, learner] : std::vector<std::pair<std::string, std::string>>{
           {"acme", "learner-0"}, {"acme", "learner-17"}, {"globex", "learner-0"}, {"initech", "learner-33"},
           {"umbrella", "learner-5"}}) {
    INFO("learner " << learner << " of " << tenant);
    REQUIRE(mix.expected.learners.count({tenant, learner}) == 1);
    const auto& want = mix.expected.learners.at({tenant, learner});
    analytics::v1::GetLearnerSummaryRequest request;
    request.set_learner_id(learner);
    ::grpc::ClientContext context;
    with_deadline(context, std::chrono::seconds(10));
    edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
    analytics::v1::LearnerSummary got;
    auto status = analytics->GetLearnerSummary(&context, request, &got);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(got.learner_id() == learner);
    CHECK(got.total_events() == want.total_events);
    std::map<std::string, std::uint64_t> by_type(got.events_by_type().begin(), got.events_by_type().end());
    CHECK(by_type == want.events_by_type);
    CHECK(got.first_seen().seconds() == want.first_seen);
    CHECK(got.last_seen().seconds() == want.last_seen);
    CHECK(got.quiz_submissions() == want.quiz_submissions);
    CHECK(got.quiz_average_percent() == Approx(want.quiz_average_percent()).epsilon(1e-9));
    CHECK(got.tutoring_sessions_completed() == want.tutoring_sessions_completed);
    CHECK(got.ib_calls() == want.ib_calls);
  }
  {
    analytics::v1::GetLearnerSummaryRequest request;
    request.set_learner_id("learner-nobody");
    ::grpc::ClientContext context;
    with_deadline(context, std::chrono::seconds(10));
    edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {"acme", "service:tests", ""});
    analytics::v1::LearnerSummary got;
    CHECK(analytics->GetLearnerSummary(&context, request, &got).error_code() == ::grpc::StatusCode::NOT_FOUND);
  }
}

// The contract (ingest.proto): a repeated id is accepted again as a duplicate when its content is
// what was accepted before; ID_REUSED is for an id "accepted before with different content". A
// producer replaying a log can send, in one batch, a mistaken changed copy of an accepted event and
// then the true retry. Ingest compares the retry with the accepted content, not with the first copy
// in the batch (the changed one), so the retry is a duplicate.
TEST_CASE("a retry after a changed copy of the same id in one batch is still a duplicate", "[data_path]") {
  std::map<std::string, std::string> env = {
      {"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
      {"EDFLEET_INGEST_POSTGRES_URL", testing::fresh_database("e2e_ingest_corner")},
      {"EDFLEET_INGEST_GRPC_PORT", "0"},
      {"EDFLEET_INGEST_HTTP_PORT", "0"},
  };
  testing::ServiceProcess ingest_process("edfleet-ingest", env);
  auto ingest = ingest::v1::IngestService::NewStub(channel_to(ingest_process.grpc_port()));

  events::v1::Event original;
  original.set_id("6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f");
  original.set_tenant("acme");
  original.set_type("ops.supply_demand_update");
  original.set_source("e2e.corner");
  original.mutable_occurred_at()->set_seconds(1748736000);
  original.mutable_supply_demand_update()->set_subject_area("algebra");
  e2e::Batch first;
  first.events = {original};
  first.expected = {{true, false, ingest::v1::REJECT_REASON_UNSPECIFIED, std::nullopt, "original"}};
  REQUIRE(check_batch(0, first, publish(*ingest, first)).empty());

  events::v1::Event changed = original;
  changed.set_source("replayed.by.mistake.example");
  e2e::Batch replay;
  replay.events = {changed, original};
  replay.expected = {{false, false, ingest::v1::REJECT_REASON_ID_REUSED, "id", "changed copy"},
                     {true, true, ingest::v1::REJECT_REASON_UNSPECIFIED, std::nullopt, "true retry"}};
  auto problems = check_batch(1, replay, publish(*ingest, replay));
  INFO((problems.empty() ? std::string() : problems.front()));
  CHECK(problems.empty());
}
