// The paced sender with a fake ingest: every event exactly once, batches within limits, one tenant
// per request with --tenant-header, pacing by due time, stopping, and failed requests counted.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>

#include "app/runner.h"

using namespace edfleet;
using namespace edfleet::sim;
using Clock = std::chrono::steady_clock;

namespace {

class CountingSource final : public EventSource {
 public:
  CountingSource(std::string lane, std::string tenant) : lane_(std::move(lane)), tenant_(std::move(tenant)) {}
  events::v1::Event next() override {
    events::v1::Event e;
    e.set_id(lane_ + "-" + std::to_string(n_++));
    e.set_tenant(tenant_);
    return e;
  }

 private:
  std::string lane_, tenant_;
  int n_ = 0;
};

struct Request {
  std::string tenant;
  std::vector<std::string> ids;
  Clock::time_point at;
};

// Shared by every worker's sender.
struct FakeIngest {
  std::mutex mutex;
  std::vector<Request> requests;
  std::set<std::string> seen;
  bool fail = false;
};

class FakeSender final : public EventSender {
 public:
  explicit FakeSender(FakeIngest& ingest) : ingest_(ingest) {}
  SendResult send(const std::vector<events::v1::Event>& events, const std::string& tenant) override {
    std::lock_guard lock(ingest_.mutex);
    Request request{tenant, {}, Clock::now()};
    SendResult result;
    for (const auto& e : events) {
      request.ids.push_back(e.id());
      result.results.push_back({true, !ingest_.seen.insert(e.id()).second, "", "", ""});
    }
    ingest_.requests.push_back(std::move(request));
    if (ingest_.fail) return {false, "UNAVAILABLE: down", {}};
    return result;
  }

 private:
  FakeIngest& ingest_;
};

std::vector<Lane> lanes(int count, std::uint64_t events) {
  std::vector<Lane> out;
  for (int i = 0; i < count; ++i) {
    out.push_back({std::make_unique<CountingSource>("lane" + std::to_string(i), i % 2 == 0 ? "acme" : "lumen"), events});
  }
  return out;
}

// Runs `lane_count` lanes of `events` each against `ingest`; `stopped` = with stop already requested.
RunStats run_lanes(FakeIngest& ingest, const RunnerConfig& config, int lane_count, std::uint64_t events,
                   bool stopped = false) {
  Runner runner(config, lanes(lane_count, events), [&] { return std::make_unique<FakeSender>(ingest); });
  std::atomic<bool> stop{stopped};
  runner.run(stop);
  return runner.stats();
}

}  // namespace

TEST_CASE("runner: every event once, paced, in bounded batches", "[sim][runner]") {
  FakeIngest ingest;
  const RunnerConfig config{.rate = 200, .lanes_per_worker = 4, .batch_size = 7, .linger = std::chrono::milliseconds(20)};
  const Runner layout(config, lanes(6, 40), {});
  CHECK(layout.workers() == 2);
  CHECK(layout.planned() == 240);
  const auto start = Clock::now();
  const auto stats = run_lanes(ingest, config, 6, 40);
  const auto elapsed = Clock::now() - start;

  std::map<std::string, int> sent;
  for (const auto& r : ingest.requests) {
    CHECK(r.ids.size() <= 7);
    CHECK(r.tenant.empty());
    for (const auto& id : r.ids) ++sent[id];
  }
  CHECK(sent.size() == 240);
  for (const auto& [id, n] : sent) CHECK(n == 1);
  // The last event of the last lane is due at (39 + 5/6) / 200 s.
  CHECK(elapsed >= std::chrono::microseconds(199166));
  // Pacing, not a burst: the first request carries only what was due at the start.
  CHECK(ingest.requests.front().ids.size() < 7);
  CHECK(stats.sent() == 240);
  CHECK(stats.accepted() == 240);
  CHECK(stats.requests() == ingest.requests.size());
  CHECK(stats.event_latency().count() == 240);
}

TEST_CASE("runner: with --tenant-header each request is one tenant's", "[sim][runner]") {
  FakeIngest ingest;
  const RunnerConfig config{.rate = 500, .lanes_per_worker = 10, .batch_size = 50, .tenant_header = true};
  run_lanes(ingest, config, 4, 25);
  std::size_t events = 0;
  for (const auto& r : ingest.requests) {
    REQUIRE_FALSE(r.tenant.empty());
    for (const auto& id : r.ids) {
      const int lane = id[4] - '0';
      CHECK(r.tenant == (lane % 2 == 0 ? "acme" : "lumen"));
      ++events;
    }
  }
  CHECK(events == 100);
}

TEST_CASE("runner: a stop request ends the run early", "[sim][runner]") {
  FakeIngest ingest;
  const RunnerConfig config{.rate = 1};   // would take 100 s
  const auto start = Clock::now();
  const auto stats = run_lanes(ingest, config, 2, 100, /*stopped=*/true);
  CHECK(Clock::now() - start < std::chrono::seconds(1));
  CHECK(stats.sent() == 0);
}

TEST_CASE("runner: failed requests count their events as failed", "[sim][runner]") {
  FakeIngest ingest;
  ingest.fail = true;
  const RunnerConfig config{.rate = 1000};
  const auto stats = run_lanes(ingest, config, 2, 10);
  CHECK(stats.sent() == 20);
  CHECK(stats.failed() == 20);
  CHECK(stats.accepted() == 0);
  CHECK(stats.failures().at("UNAVAILABLE: down") == stats.requests());
}
