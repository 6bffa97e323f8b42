// Fault tests (issue #3): the data path ingest -> Kafka -> analytics keeps its promises while things
// break in the middle of a simulated run of EDFLEET_FAULT_EVENTS events (the 100,000 by
// default), published by concurrent clients over gRPC with deadlines:
//   - kill -9 ingest, then restart it;
//   - kill -9 analytics, then restart it;
//   - all Kafka brokers down for 10 s (EDFLEET_FAULT_BROKER_OUTAGE_SECONDS), no service restarted;
//   - Postgres (both services' databases) stopped and started again, no service restarted.
// Each time: every acknowledged event is counted exactly once, no unacknowledged event more than once
// (exactly_once.h: event by event, through analytics' database and its API), and clients get prompt,
// clear errors while the fault lasts, never a hang. Each case runs its own embedded Kafka cluster, so
// the cases do not share the events topic; they share the binary's Postgres (fresh databases).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "edfleet/analytics/v1/analytics.grpc.pb.h"
#include "edfleet/core/clock.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/kafka/embedded_broker.h"
#include "edfleet/pg/embedded_postgres.h"
#include "edfleet/testing/testing.h"
#include "exactly_once.h"
#include "fault_run.h"

namespace {

using namespace edfleet;
using namespace std::chrono_literals;
using faults::CallRecord;
using faults::Clock;
using faults::EventState;
using faults::PublishRun;

constexpr auto kKafkaTimeout = 2s;       // ingest's wait for Kafka's acknowledgement (then UNAVAILABLE)
constexpr auto kCallDeadline = 5s;       // the clients' deadline per Publish call
constexpr auto kMargin = 2s;             // scheduling slack on a busy 2-core machine

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return static_cast<std::size_t>(std::stoull(value));
}

// The size; EDFLEET_FAULT_EVENTS overrides it (e.g. smaller for a quick local run).
std::size_t run_size() { return env_size("EDFLEET_FAULT_EVENTS", 100000); }

// The 10 s; EDFLEET_FAULT_BROKER_OUTAGE_SECONDS overrides it (at least 4: two Kafka timeouts).
std::chrono::seconds broker_outage() {
  return std::chrono::seconds(env_size("EDFLEET_FAULT_BROKER_OUTAGE_SECONDS", 10));
}

// How long Postgres stays down at least (then until both services have felt it).
std::chrono::seconds postgres_outage() {
  return std::chrono::seconds(env_size("EDFLEET_FAULT_POSTGRES_OUTAGE_SECONDS", 2));
}

long long ms(Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// One scenario's fleet: its own Kafka cluster, fresh databases, ingest and analytics as processes.
struct Fleet {
  kafka::EmbeddedBroker broker;
  std::string ingest_database = testing::fresh_database("faults_ingest");
  std::string analytics_database = testing::fresh_database("faults_analytics");
  std::map<std::string, std::string> env{
      {"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers()},
      {"EDFLEET_INGEST_POSTGRES_URL", ingest_database},
      {"EDFLEET_ANALYTICS_POSTGRES_URL", analytics_database},
      {"EDFLEET_INGEST_GRPC_PORT", "0"},
      {"EDFLEET_INGEST_HTTP_PORT", "0"},
      {"EDFLEET_ANALYTICS_GRPC_PORT", "0"},
      {"EDFLEET_ANALYTICS_HTTP_PORT", "0"},
      {"EDFLEET_INGEST_KAFKA_TIMEOUT", std::to_string(kKafkaTimeout.count()) + "s"},
  };
  testing::ServiceProcess analytics{"edfleet-analytics", env};
  testing::ServiceProcess ingest{"edfleet-ingest", env};
};

// Four concurrent clients sending batches of 500; the first gives up on a batch after one attempt.
constexpr int kPublishers = 4;
constexpr std::size_t kBatchSize = 500;
faults::RunOptions run_options() {
  faults::RunOptions options;
  options.batch_size = kBatchSize;
  options.publishers = kPublishers;
  options.one_shot_publishers = 1;
  options.call_deadline = kCallDeadline;
  return options;
}

// At most what was in flight when a fault began can still be acknowledged while it lasts.
constexpr std::size_t kInFlightEvents = kPublishers * kBatchSize;

// Marker events are published by one client that retries until all are acknowledged.
faults::RunOptions marker_options(std::size_t count) {
  faults::RunOptions options = run_options();
  options.batch_size = count;
  options.publishers = 1;
  options.one_shot_publishers = 0;
  return options;
}

// One scenario: its fleet, a warm-up (analytics counted a few marker events, so its consumer is in
// its group and reading before the run starts), then the clients' run, started, with the services'
// pids at its start.
struct Scenario {
  explicit Scenario(std::uint64_t seed)
      : warmup(faults::make_marker_events("warmup", 24), endpoint, marker_options(24)),
        run(faults::make_unique_events(run_size(), core::SystemClock::instance().now(), seed), endpoint,
            run_options()) {
    warmup.start();
    REQUIRE(warmup.finish(60s));
    REQUIRE(testing::wait_until([&] { return faults::processed_count(fleet.analytics_database) == 24; }, 60s));
    run.start();
  }
  // Waits until `percent` % of the run is acknowledged: when a fault is injected.
  void wait_acknowledged(std::size_t percent) {
    REQUIRE(testing::wait_until([&] { return run.acknowledged() >= total * percent / 100; }, 60s));
  }
  Fleet fleet;
  faults::IngestEndpoint endpoint{fleet.ingest.grpc_port()};
  PublishRun warmup;
  PublishRun run;
  const std::size_t total = run.events().size();
  const int ingest_pid = fleet.ingest.pid();
  const int analytics_pid = fleet.analytics.pid();
};

// A GetEventCounts call to analytics as a client sees it (code and time taken).
struct Probe {
  ::grpc::StatusCode code;
  Clock::duration took;
};
Probe probe_analytics(int port) {
  auto stub = analytics::v1::AnalyticsService::NewStub(faults::channel_to(port));
  analytics::v1::GetEventCountsRequest request;
  request.set_from_day("2025-06-01");
  request.set_to_day("2025-06-30");
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {"acme", "service:tests", ""});
  analytics::v1::GetEventCountsResponse response;
  const auto started = Clock::now();
  const auto status = stub->GetEventCounts(&context, request, &response);
  return {status.error_code(), Clock::now() - started};
}

// Probes analytics' API throughout a fault until `over()` (at most `timeout`); returns the probes.
std::vector<Probe> probe_until(int port, const std::function<bool()>& over, std::chrono::milliseconds timeout) {
  std::vector<Probe> probes;
  REQUIRE(testing::wait_until(
      [&] {
        probes.push_back(probe_analytics(port));
        return over();
      },
      timeout));
  return probes;
}

std::string describe_codes(const std::vector<CallRecord>& calls) {
  std::map<int, std::size_t> codes;
  for (const auto& call : calls) ++codes[call.code];
  std::ostringstream out;
  for (const auto& [code, n] : codes) out << " code " << code << " x" << n;
  return out.str();
}

Clock::duration longest(const std::vector<CallRecord>& calls) {
  Clock::duration longest{0};
  for (const auto& call : calls) longest = std::max(longest, call.ended - call.started);
  return longest;
}

std::vector<CallRecord> within(const std::vector<CallRecord>& calls, Clock::time_point from, Clock::time_point to) {
  std::vector<CallRecord> out;
  for (const auto& call : calls) {
    if (call.started >= from && call.ended <= to) out.push_back(call);
  }
  return out;
}

// How long after `from` a call started then first acknowledged new events (recovery), if one did.
std::optional<Clock::duration> first_new_acknowledgement(const std::vector<CallRecord>& calls, Clock::time_point from) {
  std::optional<Clock::duration> first;
  for (const auto& call : calls) {
    if (call.started >= from && call.accepted_new > 0 && (!first || call.ended - from < *first)) {
      first = call.ended - from;
    }
  }
  return first;
}

// Publish calls made while a dependency of ingest was down: each answered (OK, not a failed call),
// within `bound`, acknowledging nothing new: every event REJECT_REASON_UNAVAILABLE with a message,
// or a duplicate of an event acknowledged before.
void check_unavailable_answers(const std::vector<CallRecord>& during, Clock::time_point down_at,
                               Clock::duration bound) {
  INFO(during.size() << " calls during the outage:" << describe_codes(during) << "; the longest took "
                     << ms(longest(during)) << " ms");
  CHECK_FALSE(during.empty());
  for (const auto& call : during) {
    INFO("the call from " << ms(call.started - down_at) << " ms to " << ms(call.ended - down_at)
                          << " ms after the outage began");
    CHECK(call.code == ::grpc::StatusCode::OK);
    CHECK(call.accepted_new == 0);
    CHECK(call.unavailable + call.duplicates == call.events);
    CHECK(call.unavailable_without_message == 0);
  }
  CHECK(longest(during) <= bound);
}

// Analytics queries probed during a fault: all answered `code`, promptly.
void check_probes(const std::vector<Probe>& probes, ::grpc::StatusCode code) {
  REQUIRE_FALSE(probes.empty());
  for (const auto& probe : probes) {
    CHECK(probe.code == code);
    CHECK(probe.took <= kMargin);
  }
}

// What every run must show whatever the fault: no unexpected answer, no call beyond its deadline.
void check_clients(const PublishRun& run) {
  const auto problems = run.problems();
  INFO("unexpected answers: " << (problems.empty() ? std::string("none") : problems.front()));
  CHECK(problems.empty());
  const auto calls = run.calls();
  INFO("calls:" << describe_codes(calls) << "; the longest took " << ms(longest(calls)) << " ms");
  CHECK(longest(calls) <= kCallDeadline + kMargin);
}

// Publishes the sentinel (acknowledged, over every partition) after the run, waits until analytics
// counted every acknowledged event, then requires the exactly-once verdict. Returns its summary.
// `ledger_complete`: Postgres stayed up, so ingest recorded every event it acknowledged.
std::string settle_and_verify(Scenario& scenario, bool ledger_complete = true) {
  Fleet& fleet = scenario.fleet;
  const PublishRun& run = scenario.run;
  PublishRun sentinel(faults::make_marker_events("sentinel", 240), scenario.endpoint, marker_options(240));
  sentinel.start();
  REQUIRE(sentinel.finish(60s));
  REQUIRE(sentinel.count(EventState::kAcknowledged) == 240);

  const auto must =
      static_cast<std::int64_t>(scenario.warmup.acknowledged() + run.acknowledged() + sentinel.acknowledged());
  std::int64_t counted = 0;
  const auto started = Clock::now();
  const bool caught_up = testing::wait_until(
      [&] {
        counted = faults::processed_count(fleet.analytics_database);
        return counted >= must;
      },
      90s);
  INFO("analytics counted " << counted << " events; " << must << " were acknowledged");
  REQUIRE(caught_up);

  faults::Verdict verdict;
  // The counts may still be moving (an unacknowledged event Kafka had, arriving last): compare until
  // a snapshot and the API agree, or report the last differences.
  const bool exact = testing::wait_until(
      [&] {
        verdict = faults::verify_exactly_once(
            {&scenario.warmup, &run, &sentinel}, {fleet.analytics_database, fleet.analytics.grpc_port(), fleet.ingest_database,
                                ledger_complete});
        return verdict.problems.empty();
      },
      30s);
  INFO(verdict.summary());
  CHECK(exact);
  CHECK(verdict.acknowledged == static_cast<std::size_t>(must));
  return verdict.summary() + "; analytics caught up " + std::to_string(ms(Clock::now() - started)) +
         " ms after the run";
}

void report(const char* scenario, const std::string& text) {
  // One line per scenario in the test output: what happened, for the record.
  std::fprintf(stderr, "[faults] %s: %s\n", scenario, text.c_str());
}

}  // namespace

TEST_CASE("kill -9 ingest mid-run, restart it: acknowledged events counted exactly once, none twice",
          "[faults][ingest]") {
  Scenario scenario(1);
  auto& [fleet, endpoint, warmup, run, total, ingest_pid, analytics_pid] = scenario;

  scenario.wait_acknowledged(30);
  fleet.ingest.kill(SIGKILL);
  const auto killed_at = Clock::now();
  CHECK(fleet.ingest.wait() == -SIGKILL);
  const std::size_t acknowledged_at_kill = run.acknowledged();

  // While it is dead, clients get errors at once (UNAVAILABLE), not hangs.
  auto failed_since_kill = [&] {
    for (const auto& call : run.calls()) {
      if (call.started >= killed_at && call.code != ::grpc::StatusCode::OK) return true;
    }
    return false;
  };
  REQUIRE(testing::wait_until(failed_since_kill, 10s));
  fleet.ingest.restart();
  const auto restarted_at = Clock::now();
  endpoint.set_port(fleet.ingest.grpc_port());

  REQUIRE(run.finish(120s));
  check_clients(run);
  const auto calls = run.calls();
  std::size_t failed = 0;
  for (const auto& call : calls) {
    if (call.code == ::grpc::StatusCode::OK) {
      // Nothing can be acknowledged by a dead ingest.
      CHECK_FALSE((call.started >= killed_at && call.ended <= restarted_at));
      continue;
    }
    ++failed;
    INFO("a failed call: code " << call.code << " " << call.error << ", after " << ms(call.ended - call.started) << " ms");
    CHECK(call.code == ::grpc::StatusCode::UNAVAILABLE);
    CHECK(call.ended - call.started <= kMargin);   // at once, not at the deadline
  }
  CHECK(failed >= 1);
  CHECK(acknowledged_at_kill < total);            // the kill landed mid-run
  CHECK(fleet.ingest.pid() != ingest_pid);
  CHECK(fleet.analytics.pid() == analytics_pid);
  CHECK(run.count(EventState::kNotSent) == 0);
  // The client that gives up had a call in flight: some events stay unacknowledged.
  CHECK(run.count(EventState::kUnacknowledged) > 0);

  const std::string verdict = settle_and_verify(scenario);
  std::ostringstream out;
  out << total << " events in " << run.elapsed().count() << " ms; killed at " << acknowledged_at_kill
      << " acknowledged, restarted after " << ms(restarted_at - killed_at) << " ms; " << failed << " failed calls,"
      << describe_codes(calls) << ", " << run.resent_batches() << " batches resent; " << verdict;
  report("kill -9 ingest", out.str());
}

TEST_CASE("kill -9 analytics mid-run, restart it: every event counted exactly once", "[faults][analytics]") {
  Scenario scenario(2);
  auto& [fleet, endpoint, warmup, run, total, ingest_pid, analytics_pid] = scenario;

  // Kill it while it is consuming, early enough that the clients are still publishing.
  REQUIRE(testing::wait_until(
      [&] { return faults::processed_count(fleet.analytics_database) >= static_cast<std::int64_t>(total / 10); },
      60s));
  fleet.analytics.kill(SIGKILL);
  const auto killed_at = Clock::now();
  CHECK(fleet.analytics.wait() == -SIGKILL);
  const std::int64_t counted_at_kill = faults::processed_count(fleet.analytics_database);
  const std::size_t acknowledged_at_kill = run.acknowledged();
  // Its clients get UNAVAILABLE at once while it is dead.
  check_probes({probe_analytics(fleet.analytics.grpc_port())}, ::grpc::StatusCode::UNAVAILABLE);

  // Ingest does not depend on analytics: acknowledgements go on while it is dead.
  REQUIRE(testing::wait_until(
      [&] { return run.acknowledged() > acknowledged_at_kill || run.batches_done() == run.batch_count(); }, 30s));
  fleet.analytics.restart();
  const auto restarted_at = Clock::now();

  REQUIRE(run.finish(120s));
  check_clients(run);
  const auto calls = run.calls();
  INFO("calls:" << describe_codes(calls));
  for (const auto& call : calls) CHECK(call.code == ::grpc::StatusCode::OK);
  // Ingest was not harmed: every call answered OK, every event acknowledged (the one-shot client's too).
  CHECK(run.count(EventState::kAcknowledged) == total);
  CHECK(counted_at_kill < static_cast<std::int64_t>(total));   // the kill landed mid-run
  CHECK(fleet.analytics.pid() != analytics_pid);
  CHECK(fleet.ingest.pid() == ingest_pid);

  const std::string verdict = settle_and_verify(scenario);
  std::ostringstream out;
  out << total << " events in " << run.elapsed().count() << " ms; killed with " << counted_at_kill
      << " counted and " << acknowledged_at_kill << " acknowledged, restarted after " << ms(restarted_at - killed_at)
      << " ms; " << verdict;
  report("kill -9 analytics", out.str());
}

TEST_CASE("Kafka brokers down for 10 s mid-run: clear UNAVAILABLE answers, no loss, recovery without restarts",
          "[faults][ingest][analytics][kafka]") {
  Scenario scenario(3);
  auto& [fleet, endpoint, warmup, run, total, ingest_pid, analytics_pid] = scenario;

  const auto outage = broker_outage();
  INFO("EDFLEET_FAULT_BROKER_OUTAGE_SECONDS must leave room for whole calls during the outage");
  REQUIRE(outage >= 2 * kKafkaTimeout);
  scenario.wait_acknowledged(30);
  fleet.broker.set_all_brokers_down();
  const auto down_at = Clock::now();
  const std::size_t acknowledged_at_down = run.acknowledged();
  // The outage lasts its configured time; meanwhile analytics keeps answering queries from Postgres.
  const auto probes = probe_until(
      fleet.analytics.grpc_port(), [&] { return Clock::now() - down_at >= outage; }, outage + 10s);
  // The outage ends when the brokers are told to come up (a call may be served while that returns).
  const auto up_at = Clock::now();
  const std::size_t acknowledged_at_up = run.acknowledged();
  fleet.broker.set_all_brokers_up();

  REQUIRE(run.finish(120s));
  check_clients(run);
  const auto calls = run.calls();

  // During the outage ingest answered every call within its Kafka timeout.
  const auto during = within(calls, down_at, up_at);
  check_unavailable_answers(during, down_at, kKafkaTimeout + kMargin);
  CHECK(during.size() >= 4);   // the clients kept trying throughout
  CHECK(acknowledged_at_up - acknowledged_at_down <= kInFlightEvents);
  CHECK(run.count(EventState::kUnacknowledged) > 0);   // the client that gives up met the outage
  check_probes(probes, ::grpc::StatusCode::OK);
  // Recovery: new events acknowledged again within librdkafka's longest reconnect backoff
  // (reconnect.backoff.max.ms, 10 s by default) and a call.
  const auto recovered_after = first_new_acknowledgement(calls, up_at);
  REQUIRE(recovered_after.has_value());
  CHECK(*recovered_after <= 10s + kKafkaTimeout + kMargin);
  // Nobody restarted anything.
  CHECK(fleet.ingest.pid() == ingest_pid);
  CHECK(fleet.analytics.pid() == analytics_pid);
  CHECK(fleet.ingest.running());
  CHECK(fleet.analytics.running());

  const std::string verdict = settle_and_verify(scenario);
  std::ostringstream out;
  out << total << " events in " << run.elapsed().count() << " ms; brokers down " << ms(up_at - down_at)
      << " ms from " << acknowledged_at_down << " acknowledged; " << during.size() << " calls during the outage (longest "
      << ms(longest(during)) << " ms), " << probes.size() << " analytics queries answered; new events acknowledged "
      << ms(*recovered_after) << " ms after; " << run.resent_batches() << " batches resent," << describe_codes(calls)
      << "; " << verdict;
  report("Kafka down", out.str());
}

namespace {
// Starts the shared Postgres again if a failed check left it stopped (the next cases need it).
// Resumes a process paused with SIGSTOP, however the scope is left.
struct ResumeOnExit {
  int pid;
  ~ResumeOnExit() { ::kill(pid, SIGCONT); }
};

// What analytics logs when its consumer's batch failed and will be retried.
constexpr const char* kAnalyticsRetryLog = "kafka handler failed; retrying the batch";

struct RestartPostgresOnExit {
  ~RestartPostgresOnExit() {
    if (!testing::shared_postgres().running()) testing::shared_postgres().start();
  }
};
}  // namespace

TEST_CASE("Postgres restarted mid-run: clear errors meanwhile, analytics catches up without losing or doubling counts",
          "[faults][ingest][analytics][postgres]") {
  Scenario scenario(4);
  auto& [fleet, endpoint, warmup, run, total, ingest_pid, analytics_pid] = scenario;

  scenario.wait_acknowledged(30);
  // Analytics must have a backlog while Postgres is down, or its consumer never meets the outage (a
  // fast machine lets it keep up with ingest). Pausing it while ingest acknowledges two more rounds of
  // batches makes the backlog certain; the pause is far shorter than its group session timeout.
  {
    ResumeOnExit resume_guard{fleet.analytics.pid()};
    ::kill(fleet.analytics.pid(), SIGSTOP);
    const std::size_t acknowledged_at_pause = run.acknowledged();
    REQUIRE(testing::wait_until([&] { return run.acknowledged() >= acknowledged_at_pause + 2 * kInFlightEvents; }, 30s));
  }
  RestartPostgresOnExit restart_guard;
  auto& postgres = testing::shared_postgres();
  postgres.stop();
  const auto down_at = Clock::now();
  const std::size_t acknowledged_at_down = run.acknowledged();
  // Down for the configured time, and until both services felt it: ingest answered a call started
  // after the stop, and analytics answered a query and its consumer failed a batch.
  const auto probes = probe_until(
      fleet.analytics.grpc_port(),
      [&] {
        bool ingest_answered = false;
        for (const auto& call : run.calls()) ingest_answered = ingest_answered || call.started >= down_at;
        return ingest_answered && Clock::now() - down_at >= postgres_outage() &&
               fleet.analytics.output().find(kAnalyticsRetryLog) != std::string::npos;
      },
      postgres_outage() + 30s);
  // The outage ends when Postgres is told to start: it serves before pg_ctl's start returns.
  const auto up_at = Clock::now();
  const std::size_t acknowledged_at_up = run.acknowledged();
  postgres.start();
  const auto started_at = Clock::now();
  // Analytics answers again without a restart: its pool drops the dead connections and reconnects.
  REQUIRE(testing::wait_until(
      [&] { return probe_analytics(fleet.analytics.grpc_port()).code == ::grpc::StatusCode::OK; }, 15s));
  const auto analytics_back_after = Clock::now() - started_at;

  REQUIRE(run.finish(120s));
  check_clients(run);
  const auto calls = run.calls();

  // Ingest without its ledger: new events UNAVAILABLE (nothing published), ids it had acknowledged
  // before answered from its cache as duplicates; analytics' queries UNAVAILABLE.
  const auto during = within(calls, down_at, up_at);
  check_unavailable_answers(during, down_at, kMargin);
  const std::string ingest_message = during.empty() ? std::string() : during.front().unavailable_message;
  check_probes(probes, ::grpc::StatusCode::UNAVAILABLE);
  CHECK(acknowledged_at_up - acknowledged_at_down <= kInFlightEvents);
  CHECK(run.count(EventState::kUnacknowledged) > 0);   // the client that gives up met the outage
  // Both answer again as soon as Postgres is back.
  const auto ingest_back_after = first_new_acknowledgement(calls, started_at);
  REQUIRE(ingest_back_after.has_value());
  CHECK(*ingest_back_after <= 2 * kMargin);
  CHECK(analytics_back_after <= 2 * kMargin);
  // Analytics' consumer met the outage too (its batches failed and were retried, its log says so)
  // and recovered on its own: nobody restarted anything.
  CHECK(fleet.analytics.output().find(kAnalyticsRetryLog) != std::string::npos);
  CHECK(fleet.ingest.pid() == ingest_pid);
  CHECK(fleet.analytics.pid() == analytics_pid);

  // Events acknowledged while the ledger could not record them are missing from it (documented).
  const std::string verdict = settle_and_verify(scenario, /*ledger_complete=*/false);
  std::ostringstream out;
  out << total << " events in " << run.elapsed().count() << " ms; Postgres down " << ms(up_at - down_at) << " ms from "
      << acknowledged_at_down << " acknowledged; " << during.size() << " ingest calls meanwhile (longest "
      << ms(longest(during)) << " ms, e.g. \"" << ingest_message << "\"), " << probes.size()
      << " analytics queries answered UNAVAILABLE; after the start, ingest acknowledged new events in "
      << ms(*ingest_back_after) << " ms and analytics answered in " << ms(analytics_back_after) << " ms; "
      << run.resent_batches() << " batches resent; " << verdict;
  report("Postgres restart", out.str());
}

// BUG (libs/pg, src/embedded_postgres.cpp, EmbeddedPostgres::start): the header promises "stop() and
// start() keep [the port], so clients can reconnect to the same URL", but when the port was chosen
// automatically (Options::port == 0) and another process bound it while the server was stopped,
// start() silently moves the server to a new free port (the "Address already in use" retry meant for
// the first start). Every service configured with the old URL then fails forever, while the test or
// `edfleet up` believes the restart worked. On a busy machine the Postgres-restart case above can hit
// this. Fixed in libs/pg: the port is re-chosen only on the first start; a later start throws, naming it.
TEST_CASE("a restarted embedded Postgres keeps its URL, or fails loudly, when its port was taken meanwhile",
          "[faults][postgres]") {
  pg::EmbeddedPostgres postgres;   // its own server: the shared one must keep its port
  const int port = postgres.port();
  postgres.stop();

  // Another process takes the port while the server is down (here: a listening socket of ours).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(fd, 1) == 0;
  std::string failure;
  if (bound) {
    try {
      postgres.start();
    } catch (const std::runtime_error& e) {
      failure = e.what();
    }
  }
  ::close(fd);
  REQUIRE(bound);
  INFO("port before: " << port << ", after start(): " << postgres.port() << ", start() "
                       << (failure.empty() ? std::string("returned") : "threw: " + failure.substr(0, 200)));
  CHECK((!failure.empty() || postgres.port() == port));
}
