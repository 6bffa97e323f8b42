// edfleet-bench-pipeline: the first data path, measured against its ceiling (issue #3).
//
//   (a) raw librdkafka produce / consume of the records ingest writes, to the same broker;
//   (b) edfleet-ingest gRPC Publish and HTTP POST /v1/events throughput, as ratios to (a);
//   (c) accepted event -> visible in edfleet-analytics, at a paced 10,000 events/s;
//   (d) analytics query latency with 10 million events stored;
//   (e) peak resident memory of each process under that load.
//
// Everything runs here, side by side in one run: PostgreSQL (testing::shared_postgres), two
// edfleet-broker processes (one for the throughput phase, a fresh one for the analytics phase, so
// analytics never sees the throughput phase's records), and the real edfleet-ingest /
// edfleet-analytics binaries. Rows go to stdout (tests/bench/run's protocol), progress to stderr.
//
// Sizes come from --quick or the full defaults; EDFLEET_BENCH_STORE_EVENTS overrides the number of
// events stored for (d), and EDFLEET_BENCH_LOAD=kafka stores all of them through Kafka and
// analytics itself instead of bulk-loading most of them with SQL.
#include <signal.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "analytics_store.h"
#include "bench_events.h"
#include "clients.h"
#include "edfleet/bench/bench.h"
#include "edfleet/core/log.h"
#include "edfleet/core/time_format.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/testing/internal_auth.h"
#include "edfleet/contracts/topics.h"
#include "fleet.h"
#include "raw_kafka.h"

namespace edfleet::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kArea = "pipeline";
constexpr double kPacedRate = 10000;
// Between one probe becoming visible and the next being sent: polling every 2 ms loads analytics and
// PostgreSQL, so it should not run all the time.
constexpr auto kProbeGap = std::chrono::milliseconds(50);

struct Sizes {
  int reps;                    // repetitions of each throughput case (medians reported)
  std::size_t raw_records;     // per raw produce repetition
  std::size_t ingest_events;   // per ingest throughput repetition
  int clients;                 // concurrent ingest clients / raw producer threads
  Population population;
  std::int64_t store_events;   // events stored in analytics for (d)
  std::int64_t kafka_events;   // of those, driven through Kafka + analytics (the rest bulk-loaded)
  int latency_seconds;         // length of the paced 10k/s run over the full store
  int fresh_latency_seconds;   // ... and over an empty store (0 = skip)
  int queries;                 // per query kind
  int warmup;
};

Sizes full_sizes() {
  return {3, 300000, 60000, 4, {10, 10000, 365}, 10000000, 100000, 40, 20, 2000, 100};
}
Sizes quick_sizes() {
  return {1, 20000, 3000, 4, {10, 1000, 365}, 100000, 10000, 3, 0, 100, 10};
}

std::string with_commas(double value) {
  std::string digits = std::to_string(static_cast<long long>(value));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

void emit_row(std::string case_name, std::string metric, double value, std::string unit, std::string goal = {},
              std::optional<bool> ok = std::nullopt) {
  emit({std::string(kArea), std::move(case_name), std::move(metric), value, std::move(unit), std::move(goal), ok});
}

std::vector<ingest::v1::PublishRequest> as_requests(const std::vector<events::v1::Event>& events, std::size_t batch) {
  std::vector<ingest::v1::PublishRequest> requests;
  for (std::size_t i = 0; i < events.size(); i += batch) {
    auto& request = requests.emplace_back();
    for (std::size_t j = i; j < std::min(events.size(), i + batch); ++j) *request.add_events() = events[j];
  }
  return requests;
}

void require_all_accepted(const RunResult& result, std::string_view what) {
  if (result.not_accepted > 0) {
    throw std::runtime_error(std::string(what) + ": " + std::to_string(result.not_accepted) +
                             " events not accepted; first: " + result.first_problem);
  }
}

double average_size(const std::vector<kafka::OutgoingMessage>& records) {
  double bytes = 0;
  for (const auto& r : records) bytes += static_cast<double>(r.value.size());
  return records.empty() ? 0 : bytes / static_cast<double>(records.size());
}

// ---------------------------------------------------------------------------------------------
// (a) + (b): throughput against one broker, cases interleaved in every repetition.

struct ThroughputPhase {
  double ingest_rss = 0;
  double broker_rss = 0;
};

ThroughputPhase measure_throughput(const Sizes& sizes, EventFactory& factory) {
  BrokerProcess broker;
  Tracked tracked_broker(broker.pid());
  testing::ServiceProcess ingest("edfleet-ingest", service_env("ingest", broker.bootstrap_servers(),
                                                               testing::fresh_database("bench_ingest")));
  Tracked tracked_ingest(ingest.pid());
  progress("throughput phase: broker " + broker.bootstrap_servers() + ", ingest grpc " +
           std::to_string(ingest.grpc_port()) + " http " + std::to_string(ingest.http_port()));

  // The raw records: exactly what ingest writes for these events (value, key, headers).
  const auto received = core::SystemClock::instance().now();
  std::vector<kafka::OutgoingMessage> records;
  for (const auto& e : factory.many(sizes.raw_records)) records.push_back(ingest_record(e, contracts::kEventsTopic, received));
  const double record_bytes = average_size(records);

  struct IngestCase {
    std::string name;
    bool http;
    std::size_t batch;
    int clients;
    std::vector<double> rates;
  };
  const int many = sizes.clients * 4;   // enough calls in flight to find ingest's capacity
  std::vector<IngestCase> cases = {{"gRPC Publish, batches of 100", false, 100, sizes.clients, {}},
                                   {"gRPC Publish, batches of 500", false, 500, sizes.clients, {}},
                                   {"gRPC Publish, batches of 500", false, 500, many, {}},
                                   {"HTTP POST /v1/events (JSON), batches of 100", true, 100, sizes.clients, {}},
                                   {"HTTP POST /v1/events (JSON), batches of 500", true, 500, sizes.clients, {}}};
  std::vector<double> raw_rates, raw_batch_rates, consume_rates;
  RawProducer producer(broker.bootstrap_servers(), "edfleet-bench-raw");
  // Warm-up, not measured: connections, the idempotent producer id, ingest's pools and caches.
  producer.produce_all(std::vector<kafka::OutgoingMessage>(records.begin(), records.begin() + 1000));
  const auto warmup = factory.many(static_cast<std::size_t>(sizes.clients) * 200);
  require_all_accepted(grpc_publish_run(ingest.grpc_port(), as_requests(warmup, 100), sizes.clients), "warm-up");
  {
    const auto more = factory.many(static_cast<std::size_t>(sizes.clients) * 200);
    std::vector<std::string> bodies;
    for (std::size_t i = 0; i < more.size(); i += 100) bodies.push_back(json_array(more, i, 100));
    require_all_accepted(http_publish_run(ingest.http_port(), bodies, 100, sizes.clients), "warm-up");
  }
  for (int rep = 1; rep <= sizes.reps; ++rep) {
    raw_rates.push_back(producer.produce_all(records));
    progress("rep " + std::to_string(rep) + ": raw produce " + with_commas(raw_rates.back()) + " events/s");
    const auto consumed = raw_consume_all(broker.bootstrap_servers(), std::string(contracts::kEventsTopic));
    consume_rates.push_back(consumed.rate);
    progress("rep " + std::to_string(rep) + ": raw consume " + with_commas(consumed.rate) + " events/s (" +
             with_commas(static_cast<double>(consumed.records)) + " retained records)");
    raw_batch_rates.push_back(producer.produce_batches(records, 500, sizes.clients));
    progress("rep " + std::to_string(rep) + ": raw produce, awaited batches of 500 " +
             with_commas(raw_batch_rates.back()) + " events/s");
    for (auto& c : cases) {
      const auto events = factory.many(sizes.ingest_events);   // fresh ids: ingest deduplicates
      RunResult result;
      if (c.http) {
        std::vector<std::string> bodies;
        for (std::size_t i = 0; i < events.size(); i += c.batch) bodies.push_back(json_array(events, i, c.batch));
        result = http_publish_run(ingest.http_port(), bodies, c.batch, c.clients);
      } else {
        result = grpc_publish_run(ingest.grpc_port(), as_requests(events, c.batch), c.clients);
      }
      require_all_accepted(result, c.name);
      c.rates.push_back(result.rate);
      progress("rep " + std::to_string(rep) + ": ingest " + c.name + " x" + std::to_string(c.clients) + " " +
               with_commas(result.rate) + " events/s");
    }
  }

  const std::string reps = ", median of " + std::to_string(sizes.reps);
  const std::string payload = " Event records (avg " + std::to_string(static_cast<int>(record_bytes)) +
                              " B, ingest's keys and CloudEvents headers) to " + std::string(contracts::kEventsTopic) +
                              " (12 partitions), edfleet-broker";
  const double raw = median(raw_rates);
  emit_row("(a) raw librdkafka produce, acks=all idempotent linger 0 ms, pipelined, " + with_commas(sizes.raw_records) +
               payload + reps,
           "produce rate (ceiling)", raw, "events/s");
  const double raw_batches = median(raw_batch_rates);
  emit_row("(a) raw librdkafka produce, " + std::to_string(sizes.clients) +
               " threads each awaiting batches of 500 (ingest's pattern), same records" + reps,
           "produce rate", raw_batches, "events/s");
  emit_row("(a) raw librdkafka consume (assign, earliest -> end, fetch.wait.max.ms 10) of the retained records" + reps,
           "consume rate", median(consume_rates), "events/s");
  for (const auto& c : cases) {
    const double rate = median(c.rates);
    const std::string name = "(b) ingest " + c.name + ", " + std::to_string(c.clients) + " concurrent clients, " +
                             with_commas(static_cast<double>(sizes.ingest_events)) + " events" + reps;
    emit_row(name, "throughput", rate, "events/s");
    const bool grpc = !c.http;
    emit_row(name, "ratio to raw pipelined produce (a)", rate / raw, "ratio", grpc ? ">= 0.5" : "",
             grpc ? std::optional<bool>(rate / raw >= 0.5) : std::nullopt);
    emit_row(name, "ratio to raw awaited batches (a)", rate / raw_batches, "ratio");
  }

  ThroughputPhase phase;
  phase.ingest_rss = peak_rss_mib(ingest.pid()).value_or(0);
  phase.broker_rss = peak_rss_mib(broker.pid()).value_or(0);
  return phase;
}

// ---------------------------------------------------------------------------------------------
// (c), (d), (e): analytics with `store_events` events stored.

double scrape(int http_port, std::string_view name) { return metric_sum(scrape_metrics(http_port), name); }

constexpr std::string_view kApplied = "edfleet_analytics_events_applied_total";

// Waits until analytics has counted `target` events since it started, or `timeout`; returns the count.
double wait_applied(int http_port, double target, std::chrono::seconds timeout) {
  double applied = 0;
  testing::wait_until([&] { return (applied = scrape(http_port, kApplied)) >= target; }, timeout);
  return applied;
}

// Records the consumer skipped because the embedded broker no longer had them (it keeps ~5 MiB per
// partition): a consumer that falls that far behind loses events, loudly.
double offsets_out_of_range(const std::string& metrics) {
  return metric_sum(metrics, "edfleet_kafka_consumer_errors_total", {"kind=\"offset_out_of_range\""});
}

// Like wait_applied, but a shortfall is an error naming its likely cause.
void require_applied(int http_port, double target, std::chrono::seconds timeout) {
  const double applied = wait_applied(http_port, target, timeout);
  if (applied < target) {
    throw std::runtime_error("analytics counted " + with_commas(applied) + " of " + with_commas(target) +
                             " events in time (offsets out of range: " +
                             with_commas(offsets_out_of_range(scrape_metrics(http_port))) + ")");
  }
}

struct CountingStats {
  double rate = 0;          // events/s, produce start -> all counted
  double batches = 0;       // transactions analytics applied meanwhile
  double apply_ms = 0;      // their mean duration
};

// Produces `records` raw, never more than `window` ahead of what analytics has counted (the
// embedded broker keeps only ~5 MiB per partition), and measures analytics' counting.
CountingStats drive_through_analytics(RawProducer& producer, const std::vector<kafka::OutgoingMessage>& records,
                                      int analytics_http) {
  constexpr std::size_t kChunk = 5000;
  constexpr double kWindow = 50000;
  const auto before = scrape_metrics(analytics_http);
  const double applied_before = metric_sum(before, kApplied);
  const auto started = Clock::now();
  for (std::size_t i = 0; i < records.size(); i += kChunk) {
    testing::wait_until(
        [&] { return static_cast<double>(i) - (scrape(analytics_http, kApplied) - applied_before) <= kWindow; },
        std::chrono::minutes(5));
    for (std::size_t j = i; j < std::min(records.size(), i + kChunk); ++j) producer.produce(records[j]);
  }
  require_applied(analytics_http, applied_before + static_cast<double>(records.size()),
                  std::chrono::seconds(60 + records.size() / 1000));
  CountingStats stats;
  stats.rate = static_cast<double>(records.size()) / (elapsed_ms(started) / 1000.0);
  const auto after = scrape_metrics(analytics_http);
  stats.batches = metric_sum(after, "edfleet_analytics_batch_apply_seconds_count") -
                  metric_sum(before, "edfleet_analytics_batch_apply_seconds_count");
  if (stats.batches > 0) {
    stats.apply_ms = (metric_sum(after, "edfleet_analytics_batch_apply_seconds_sum") -
                      metric_sum(before, "edfleet_analytics_batch_apply_seconds_sum")) * 1000 / stats.batches;
  }
  return stats;
}

bool get_event_counts(analytics::v1::AnalyticsService::Stub& stub, const std::string& tenant, const std::string& from,
                      const std::string& to, const std::vector<std::string>& types) {
  analytics::v1::GetEventCountsRequest request;
  request.set_from_day(from);
  request.set_to_day(to);
  for (const auto& t : types) request.add_types(t);
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
  analytics::v1::GetEventCountsResponse response;
  return stub.GetEventCounts(&context, request, &response).ok() && response.total() > 0;
}

std::optional<std::uint64_t> learner_total(analytics::v1::AnalyticsService::Stub& stub, const std::string& tenant,
                                           const std::string& learner) {
  analytics::v1::GetLearnerSummaryRequest request;
  request.set_learner_id(learner);
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
  analytics::v1::LearnerSummary response;
  const auto status = stub.GetLearnerSummary(&context, request, &response);
  if (status.error_code() == ::grpc::StatusCode::NOT_FOUND) return 0;
  if (!status.ok()) return std::nullopt;
  return response.total_events();
}

std::string day_before(core::Timestamp today, int days) {
  return core::format_day(today - std::chrono::hours(24 * days));
}

std::vector<std::pair<std::string, std::string>> sample_learners(const std::string& url, int count) {
  pqxx::connection connection(url);
  pqxx::read_transaction txn(connection);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : txn.exec("SELECT tenant, learner_id FROM learner_counters ORDER BY random() LIMIT " +
                                  std::to_string(count))) {
    out.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
  }
  if (out.empty()) throw std::runtime_error("no learners stored");
  return out;
}

struct LatencyProbe {
  std::vector<double> ack_to_visible, send_to_visible;
  std::size_t sent = 0;
  int timeouts = 0;
  std::string error;   // what stopped the probes early, if anything
};

// One probe event at a time through ingest, each on a learner of its own tenant; after the ack,
// polls analytics every 2 ms until the learner's total includes it.
void run_probes(int ingest_grpc, int analytics_grpc, EventFactory& factory, const std::atomic<bool>& stop,
                LatencyProbe& out) try {
  const std::string tenant = "bench-probe";
  const std::string learner = "probe-learner";
  auto ingest = ingest::v1::IngestService::NewStub(own_channel(ingest_grpc));
  auto analytics = analytics::v1::AnalyticsService::NewStub(own_channel(analytics_grpc));
  for (std::uint64_t k = 1; !stop; ++k) {
    ingest::v1::PublishRequest request;
    *request.add_events() = factory.next_for(tenant, learner, core::SystemClock::instance().now());
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::set_caller(context, edfleet::testing::identity_signer(), {"", "service:bench", ""});
    ingest::v1::PublishResponse response;
    const auto sent = Clock::now();
    const auto status = ingest->Publish(&context, request, &response);
    const auto acked = Clock::now();
    if (!status.ok() || response.accepted() != 1) throw std::runtime_error("probe event not accepted");
    ++out.sent;
    bool seen = false;
    while (!seen && elapsed_ms(acked) < 5000) {
      const auto poll = Clock::now();
      const auto total = learner_total(*analytics, tenant, learner);
      if (total && *total >= k) {
        seen = true;
        out.ack_to_visible.push_back(elapsed_ms(acked));
        out.send_to_visible.push_back(elapsed_ms(sent));
      } else {
        std::this_thread::sleep_until(poll + std::chrono::milliseconds(2));
      }
    }
    if (!seen) {
      ++out.timeouts;
      // Resynchronise on what analytics has, so one late probe does not skew the next ones.
      k = learner_total(*analytics, tenant, learner).value_or(k);
    }
    std::this_thread::sleep_for(kProbeGap);
  }
} catch (const std::exception& e) {
  out.error = e.what();
}

// The shared PostgreSQL's postmaster (first line of postmaster.pid), for its CPU use; 0 if unknown.
int postmaster_pid() {
  std::ifstream in(testing::shared_postgres().data_dir() + "/postmaster.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

// A tenant of the population for the i-th query (spread over all of them).
std::string tenant_of(const Population& population, int i) {
  return Population::tenant(static_cast<int>(static_cast<unsigned>(i * 7919) % static_cast<unsigned>(population.tenants)));
}

// Waits until analytics' consumer holds partitions (its first group join takes ~3 s).
void wait_assigned(testing::ServiceProcess& analytics) {
  if (!testing::wait_until(
          [&] {
            return metric_sum(scrape_metrics(analytics.http_port()), "edfleet_kafka_consumer_assigned_partitions") > 0;
          },
          std::chrono::seconds(60))) {
    throw std::runtime_error("analytics got no partitions");
  }
}

// (c) Accepted event -> visible in analytics while ingest takes a paced 10,000 events/s, after a
// one-second warm-up. `store` says what analytics holds, for the case texts.
void measure_event_latency(testing::ServiceProcess& ingest, testing::ServiceProcess& analytics, int broker_pid,
                           EventFactory& factory, int seconds, const std::string& store) {
  const std::size_t paced_events = static_cast<std::size_t>(kPacedRate) * static_cast<std::size_t>(seconds);
  const auto requests = as_requests(factory.many(paced_events, core::SystemClock::instance().now()), 100);
  EventFactory probe_factory(factory.population(), 4242);
  {
    // Warm-up, not measured: one second at the same rate through the fresh ingest.
    progress("paced warm-up: 10,000 events (" + store + ")");
    const double applied = scrape(analytics.http_port(), kApplied);
    const auto warmup = grpc_publish_paced(ingest.grpc_port(),
                                           as_requests(factory.many(10000, core::SystemClock::instance().now()), 100),
                                           kPacedRate, 8);
    require_all_accepted(warmup.run, "paced warm-up");
    require_applied(analytics.http_port(), applied + 10000, std::chrono::seconds(60));
  }
  const auto metrics_before = scrape_metrics(analytics.http_port());
  const double applied_before = metric_sum(metrics_before, kApplied);
  const double lost_before = offsets_out_of_range(metrics_before);
  const auto lag_before = histogram(metrics_before, "edfleet_analytics_event_lag_seconds");

  std::atomic<bool> stop{false};
  LatencyProbe probes;
  std::thread prober([&] { run_probes(ingest.grpc_port(), analytics.grpc_port(), probe_factory, stop, probes); });
  std::vector<double> query_under_load;
  std::thread sampler([&] {
    const auto today = core::SystemClock::instance().now();
    const std::string from = day_before(today, 29), to = core::format_day(today);
    auto stub = analytics::v1::AnalyticsService::NewStub(own_channel(analytics.grpc_port()));
    for (int i = 0; !stop; ++i) {
      const auto sent = Clock::now();
      if (get_event_counts(*stub, tenant_of(factory.population(), i), from, to, {})) {
        query_under_load.push_back(elapsed_ms(sent));
      }
      std::this_thread::sleep_until(sent + std::chrono::milliseconds(20));
    }
  });
  progress("paced run: " + with_commas(static_cast<double>(paced_events)) + " events at 10,000/s through ingest (" +
           store + ")");
  const int postgres = postmaster_pid();
  auto cpu_now = [&] {
    return std::vector<double>{cpu_seconds(ingest.pid()), cpu_seconds(analytics.pid()), cpu_seconds(broker_pid),
                               cpu_seconds_with_children(postgres), cpu_seconds(::getpid()), machine_busy_seconds()};
  };
  const auto cpu_before = cpu_now();
  const auto paced_started = Clock::now();
  const auto paced = grpc_publish_paced(ingest.grpc_port(), requests, kPacedRate, 8);
  const auto cpu_after = cpu_now();
  const double paced_seconds = elapsed_ms(paced_started) / 1000.0;
  stop = true;
  prober.join();
  sampler.join();
  require_all_accepted(paced.run, "paced publish");
  if (!probes.error.empty()) throw std::runtime_error("latency probes: " + probes.error);
  // Everything published must be counted; what is not within two minutes is reported (a consumer
  // that fell more than ~5 MiB per partition behind lost records to the embedded broker's retention).
  const double expected = applied_before + static_cast<double>(paced_events + probes.sent);
  const double applied = wait_applied(analytics.http_port(), expected, std::chrono::seconds(120));
  const auto metrics_after = scrape_metrics(analytics.http_port());
  const double lost = offsets_out_of_range(metrics_after) - lost_before;
  const auto lag = histogram(metrics_after, "edfleet_analytics_event_lag_seconds").minus(lag_before);

  const std::string at_rate = "at " + with_commas(kPacedRate) + " events/s paced through ingest gRPC (batches of 100, 8 "
                              "workers) for " + std::to_string(seconds) + " s, " + store;
  emit_row("(c) load actually achieved: " + with_commas(static_cast<double>(paced_events)) +
               " events accepted, first batch sent -> last answered (latest batch sent " +
               std::to_string(static_cast<int>(paced.behind_ms)) + " ms behind schedule), " + store,
           "publish rate", paced.run.rate, "events/s", ">= 9800", paced.run.rate >= 9800);
  emit_row("(c) events published during the run but not counted by analytics 2 minutes later (offsets found out of "
               "range by analytics' consumer meanwhile: " + with_commas(lost) + "), " + store,
           "events not counted", std::max(0.0, expected - applied), "events", "== 0", applied >= expected);
  const std::string probe_case = "(c) event -> analytics: one probe event at a time through ingest, the next " +
                                 std::to_string(kProbeGap.count()) + " ms after the last became visible (" +
                                 std::to_string(probes.ack_to_visible.size()) + " probes, " +
                                 std::to_string(probes.timeouts) + " not visible within 5 s), GetLearnerSummary "
                                 "polled every 2 ms until it counts it, " + at_rate;
  const double ack_p99 = quantile(probes.ack_to_visible, 0.99);
  emit_row(probe_case, "p50 accepted -> visible", quantile(probes.ack_to_visible, 0.5), "ms");
  emit_row(probe_case, "p99 accepted -> visible", ack_p99, "ms", "< 100", ack_p99 < 100 && probes.timeouts == 0);
  emit_row(probe_case, "p50 sent -> visible", quantile(probes.send_to_visible, 0.5), "ms");
  emit_row(probe_case, "p99 sent -> visible", quantile(probes.send_to_visible, 0.99), "ms");
  const std::string lag_case = "(c) inside analytics: Kafka record timestamp -> batch committed, "
                               "edfleet_analytics_event_lag_seconds over the " + with_commas(lag.count()) +
                               " events of the run (bucket-interpolated: buckets 5/10/25/50/100/250 ms), " + at_rate;
  emit_row(lag_case, "p50 record -> counted", lag.quantile(0.5) * 1000, "ms");
  emit_row(lag_case, "p99 record -> counted", lag.quantile(0.99) * 1000, "ms", "< 100", lag.quantile(0.99) * 1000 < 100);
  emit_row("(c) ingest Publish call latency (batch of 100), " + at_rate, "p50", quantile(paced.publish_ms, 0.5), "ms");
  emit_row("(c) ingest Publish call latency (batch of 100), " + at_rate, "p99", quantile(paced.publish_ms, 0.99), "ms");
  emit_row("(c) GetEventCounts (30 days) every 20 ms during the paced run, " + std::to_string(query_under_load.size()) +
               " calls, " + at_rate,
           "p99", quantile(query_under_load, 0.99), "ms");
  const char* names[] = {"edfleet-ingest", "edfleet-analytics", "edfleet-broker", "PostgreSQL (postmaster + backends)",
                         "this benchmark (clients, probes)", "whole machine, other users included"};
  const std::string cpu_case = "(c) CPU in use during the paced run (CPU seconds / wall seconds; the machine has " +
                               std::to_string(std::thread::hardware_concurrency()) + " CPUs), " + at_rate;
  for (std::size_t i = 0; i < cpu_before.size(); ++i) {
    emit_row(cpu_case, names[i], (cpu_after[i] - cpu_before[i]) / paced_seconds, "cores");
  }
}

// (c) first on an empty store: the pipeline's own latency, before a large store weighs on analytics.
void measure_latency_fresh_store(const Sizes& sizes, EventFactory& factory) {
  BrokerProcess broker;
  Tracked tracked_broker(broker.pid());
  testing::ServiceProcess analytics(
      "edfleet-analytics",
      service_env("analytics", broker.bootstrap_servers(), testing::fresh_database("bench_analytics_fresh")));
  Tracked tracked_analytics(analytics.pid());
  testing::ServiceProcess ingest("edfleet-ingest", service_env("ingest", broker.bootstrap_servers(),
                                                               testing::fresh_database("bench_ingest_fresh")));
  Tracked tracked_ingest(ingest.pid());
  wait_assigned(analytics);
  measure_event_latency(ingest, analytics, broker.pid(), factory, sizes.fresh_latency_seconds,
                        "analytics store empty at the start");
}

struct AnalyticsPhase {
  double analytics_rss = 0, ingest_rss = 0, broker_rss = 0;
};

AnalyticsPhase measure_analytics(const Sizes& sizes, EventFactory& factory, bool load_through_kafka) {
  const auto& population = factory.population();
  BrokerProcess broker;
  Tracked tracked_broker(broker.pid());
  const std::string analytics_db = testing::fresh_database("bench_analytics");
  const std::int64_t via_kafka = load_through_kafka ? sizes.store_events : std::min(sizes.kafka_events, sizes.store_events);
  const std::int64_t via_sql = sizes.store_events - via_kafka;
  const std::string shape = std::to_string(population.tenants) + " tenants x " +
                            with_commas(population.learners_per_tenant) + " learners, 22 types over " +
                            std::to_string(population.days) + " days";

  // (d) The store: most of it bulk-loaded, the rest counted by analytics itself from Kafka.
  if (via_sql > 0) {
    progress("bulk-loading analytics' tables with " + with_commas(static_cast<double>(via_sql)) + " events");
    const auto load = bulk_load_analytics_store(analytics_db, population, via_sql);
    progress("bulk load took " + std::to_string(load.seconds) + " s");
    emit_row("(d) store set-up: " + with_commas(static_cast<double>(via_sql)) +
                 " events bulk-loaded with SQL into analytics' own schema (processed_events " +
                 with_commas(static_cast<double>(via_sql)) + " rows via generate_series + PK rebuilt; " +
                 with_commas(static_cast<double>(load.event_count_rows)) + " event_counts, " +
                 with_commas(static_cast<double>(load.learner_rows)) + " learner_counters, " +
                 with_commas(static_cast<double>(load.learner_type_rows)) + " learner_type_counts rows by COPY; " +
                 shape + "), then VACUUM ANALYZE",
             "load time", load.seconds, "s");
  }
  testing::ServiceProcess analytics("edfleet-analytics",
                                    service_env("analytics", broker.bootstrap_servers(), analytics_db));
  Tracked tracked_analytics(analytics.pid());
  wait_assigned(analytics);
  progress("analytics consuming (grpc " + std::to_string(analytics.grpc_port()) + "); producing " +
           with_commas(static_cast<double>(via_kafka)) + " events through Kafka");
  {
    RawProducer producer(broker.bootstrap_servers(), "edfleet-bench-load");
    const auto received = core::SystemClock::instance().now();
    std::vector<kafka::OutgoingMessage> records;
    records.reserve(static_cast<std::size_t>(via_kafka));
    for (std::int64_t i = 0; i < via_kafka; ++i) records.push_back(ingest_record(factory.next(), contracts::kEventsTopic, received));
    const auto counting = drive_through_analytics(producer, records, analytics.http_port());
    const double rate = counting.rate;
    const double duplicates = scrape(analytics.http_port(), "edfleet_analytics_duplicates_total");
    if (duplicates > 0) throw std::runtime_error("analytics saw duplicates of fresh events");
    const std::string on_top = via_sql > 0 ? " on top of the " + with_commas(static_cast<double>(via_sql)) +
                                                 " bulk-loaded events"
                                           : "";
    emit_row("(d) analytics counting " + with_commas(static_cast<double>(via_kafka)) +
                 " events produced raw to Kafka (window 50,000 ahead)" + on_top +
                 ", produce start -> all counted (edfleet_analytics_events_applied_total)",
             "count rate", rate, "events/s");
    emit_row("(d) the same rate projected to " + with_commas(1e7) + " events through Kafka", "projected time",
             1e7 / rate, "s");
    const std::string during = "(d) analytics' transactions while counting those " +
                               with_commas(static_cast<double>(via_kafka)) +
                               " events (edfleet_analytics_batch_apply_seconds; analytics.max_batch 500)";
    emit_row(during, "mean events per transaction", static_cast<double>(via_kafka) / std::max(counting.batches, 1.0),
             "events");
    emit_row(during, "mean transaction time", counting.apply_ms, "ms");
  }

  // (d) Query latency, sequential and concurrent, over the whole store.
  const auto today = core::SystemClock::instance().now();
  const std::string to = core::format_day(today);
  auto tenant_i = [&](int i) { return tenant_of(population, i); };
  struct QueryCase {
    std::string name;
    int clients;
    std::function<bool(analytics::v1::AnalyticsService::Stub&, int)> call;
    bool goal;
  };
  const std::string from30 = day_before(today, 29), from90 = day_before(today, 89), from366 = day_before(today, 365);
  auto counts30 = [&](analytics::v1::AnalyticsService::Stub& s, int i) {
    return get_event_counts(s, tenant_i(i), from30, to, {});
  };
  // Summaries of learners that exist (a random sample of the stored ones).
  const auto learners = sample_learners(analytics_db, 1000);
  auto summary = [&](analytics::v1::AnalyticsService::Stub& s, int i) {
    const auto& [tenant, learner] = learners[static_cast<std::size_t>(i < 0 ? -i : i) % learners.size()];
    return learner_total(s, tenant, learner).value_or(0) > 0;
  };
  const std::vector<QueryCase> queries = {
      {"GetEventCounts, last 30 days, all types (~660 rows)", 1, counts30, true},
      {"GetEventCounts, last 90 days, 3 types", 1,
       [&](analytics::v1::AnalyticsService::Stub& s, int i) {
         return get_event_counts(s, tenant_i(i), from90, to, {"quiz.submitted", "xapi.statement", "session.chat_message"});
       },
       true},
      {"GetEventCounts, 366 days (the widest range), all types (~8,000 rows)", 1,
       [&](analytics::v1::AnalyticsService::Stub& s, int i) { return get_event_counts(s, tenant_i(i), from366, to, {}); },
       true},
      {"GetLearnerSummary, random learner", 1, summary, true},
      {"GetEventCounts, last 30 days, all types", 4, counts30, false},
      {"GetLearnerSummary, random learner", 4, summary, false},
  };
  const std::string stored = with_commas(static_cast<double>(sizes.store_events)) + " events stored";
  for (const auto& q : queries) {
    const auto latencies = time_queries(q.clients, sizes.queries, sizes.warmup, q.call, analytics.grpc_port());
    const std::string name = "(d) " + q.name + ", " + stored + ", " + std::to_string(q.clients) +
                             (q.clients == 1 ? " client" : " concurrent clients") + ", " +
                             with_commas(sizes.queries) + " calls over gRPC";
    const double p50 = quantile(latencies, 0.5), p99 = quantile(latencies, 0.99);
    emit_row(name, "p50", p50, "ms");
    emit_row(name, "p99", p99, "ms", q.goal ? "< 20" : "", q.goal ? std::optional<bool>(p99 < 20) : std::nullopt);
    progress(q.name + " x" + std::to_string(q.clients) + ": p50 " + std::to_string(p50) + " ms, p99 " +
             std::to_string(p99) + " ms");
  }

  // (c) Accepted event -> visible, with ingest publishing 10,000 events/s into the loaded store.
  testing::ServiceProcess ingest("edfleet-ingest", service_env("ingest", broker.bootstrap_servers(),
                                                               testing::fresh_database("bench_ingest_paced")));
  Tracked tracked_ingest(ingest.pid());
  measure_event_latency(ingest, analytics, broker.pid(), factory, sizes.latency_seconds, stored);

  AnalyticsPhase phase;
  phase.analytics_rss = peak_rss_mib(analytics.pid()).value_or(0);
  phase.ingest_rss = peak_rss_mib(ingest.pid()).value_or(0);
  phase.broker_rss = peak_rss_mib(broker.pid()).value_or(0);
  return phase;
}

int run(int argc, char** argv) {
  const auto options = parse_options(
      argc, argv, kArea,
      "Raw librdkafka (ingest's producer settings, exactly the records ingest writes) against the real "
      "edfleet-ingest (gRPC and HTTP, concurrent clients) on one edfleet-broker, cases interleaved in each of 3 "
      "repetitions, medians reported; then edfleet-analytics over a store of 10 million events (bulk-loaded into "
      "its own schema with SQL, the last 100,000 counted through Kafka by analytics itself): gRPC query latency "
      "from one and four clients, and event -> analytics latency while ingest takes a paced 10,000 events/s "
      "(probe events polled every 2 ms, and analytics' own lag histogram), measured on an empty store and on the "
      "10 million; peak RSS (VmHWM) of every process. Services run as separate processes at the shipped log level "
      "(info); PostgreSQL 15 has shared_buffers 1 GB, fsync off; clients, services, broker and PostgreSQL share "
      "this machine. --quick: 100,000 events stored, 3 s at 10,000/s on it only, one repetition.\n\n"
      "Environment: EDFLEET_BENCH_STORE_EVENTS=N changes the number of events stored; EDFLEET_BENCH_LOAD=kafka "
      "stores them all through Kafka and analytics instead of bulk-loading with SQL (slow: minutes per million).");
  core::log::init("bench", "warn");
  Sizes sizes = options.quick ? quick_sizes() : full_sizes();
  sizes.store_events = env_int("EDFLEET_BENCH_STORE_EVENTS", sizes.store_events);
  const char* load = std::getenv("EDFLEET_BENCH_LOAD");
  const bool through_kafka = load != nullptr && std::string_view(load) == "kafka";
  progress(std::string(options.quick ? "quick run" : "full run") + "; " + load_average());

  tune_postgres(testing::shared_postgres());
  postgres_started();
  EventFactory factory(sizes.population, 20261125);
  const auto throughput = measure_throughput(sizes, factory);
  if (sizes.fresh_latency_seconds > 0) measure_latency_fresh_store(sizes, factory);
  const auto analytics = measure_analytics(sizes, factory, through_kafka);

  emit_row("(e) edfleet-ingest during the (b) full-speed publish runs", "peak RSS (VmHWM)", throughput.ingest_rss, "MiB");
  emit_row("(e) edfleet-ingest during the (c) 10,000 events/s run", "peak RSS (VmHWM)", analytics.ingest_rss, "MiB");
  emit_row("(e) edfleet-analytics: counting, queries and the 10,000 events/s run over " +
               with_commas(static_cast<double>(sizes.store_events)) + " stored events",
           "peak RSS (VmHWM)", analytics.analytics_rss, "MiB");
  emit_row("(e) edfleet-broker (embedded Kafka, ~5 MiB retained per partition) during (a) + (b)", "peak RSS (VmHWM)",
           throughput.broker_rss, "MiB");
  emit_row("(e) edfleet-broker during (c) + (d)", "peak RSS (VmHWM)", analytics.broker_rss, "MiB");
  progress("done; " + load_average());
  return 0;
}

}  // namespace
}  // namespace edfleet::bench

int main(int argc, char** argv) {
  edfleet::bench::clean_up_on_signals();
  try {
    return edfleet::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "edfleet-bench-pipeline: " << e.what() << "\n";
    return 1;
  }
}
