#include "clients.h"

#include <mutex>
#include <stdexcept>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/testing/internal_auth.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/bench/bench.h"

namespace edfleet::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Tallies results from several client threads.
class Tally {
 public:
  void add(std::size_t accepted, std::size_t not_accepted, const std::string& problem) {
    std::lock_guard lock(mutex_);
    result_.accepted += accepted;
    result_.not_accepted += not_accepted;
    if (result_.first_problem.empty() && !problem.empty()) result_.first_problem = problem;
  }
  RunResult finish(Clock::time_point started) {
    std::lock_guard lock(mutex_);
    result_.rate = static_cast<double>(result_.accepted) / (elapsed_ms(started) / 1000.0);
    return result_;
  }

 private:
  std::mutex mutex_;
  RunResult result_;
};

// One Publish call; counts its accepted events and explains the first one that was not.
void publish_one(ingest::v1::IngestService::Stub& stub, const ingest::v1::PublishRequest& request, Tally& tally) {
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  // An internal service publishing for the tenants its events name (signed, as ingest requires).
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {"", "service:bench", ""});
  ingest::v1::PublishResponse response;
  const auto status = stub.Publish(&context, request, &response);
  if (!status.ok()) {
    tally.add(0, static_cast<std::size_t>(request.events_size()), "Publish: " + status.error_message());
    return;
  }
  std::string problem;
  for (const auto& r : response.results()) {
    if (!r.accepted() && problem.empty()) problem = r.id() + ": " + r.message();
  }
  tally.add(response.accepted(), response.rejected(), problem);
}

}  // namespace

std::shared_ptr<::grpc::Channel> own_channel(int port) {
  static std::atomic<int> counter{0};
  ::grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetInt("edfleet.bench.channel", ++counter);   // distinct args: no subchannel sharing
  return ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), ::grpc::InsecureChannelCredentials(),
                                     args);
}

RunResult grpc_publish_run(int grpc_port, const std::vector<ingest::v1::PublishRequest>& requests, int clients) {
  std::vector<std::unique_ptr<ingest::v1::IngestService::Stub>> stubs;
  for (int c = 0; c < clients; ++c) {
    auto channel = own_channel(grpc_port);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      throw std::runtime_error("cannot connect to ingest gRPC");
    }
    stubs.push_back(ingest::v1::IngestService::NewStub(channel));
  }
  Tally tally;
  std::atomic<std::size_t> next{0};
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (std::size_t i; (i = next.fetch_add(1)) < requests.size();) publish_one(*stubs[c], requests[i], tally);
    });
  }
  for (auto& t : threads) t.join();
  return tally.finish(started);
}

RunResult http_publish_run(int http_port, const std::vector<std::string>& bodies, std::size_t events_per_body,
                           int clients) {
  Tally tally;
  std::atomic<std::size_t> next{0};
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      httplib::Client client("127.0.0.1", http_port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);   // else Nagle + delayed ACKs add ~40 ms to a request sent in two writes
      client.set_read_timeout(std::chrono::seconds(60));
      for (std::size_t i; (i = next.fetch_add(1)) < bodies.size();) {
        auto response = client.Post("/v1/events",
                                    edfleet::testing::with_identity<httplib::Headers>({"", "service:bench", ""}),
                                    bodies[i], "application/json");
        if (!response || response->status != 200) {
          tally.add(0, events_per_body,
                    "POST /v1/events: " + (response ? std::to_string(response->status) + " " + response->body.substr(0, 200)
                                                    : std::string("no answer")));
          continue;
        }
        const auto json = nlohmann::json::parse(response->body, nullptr, false);
        const auto accepted = json.is_object() ? json.value("accepted", std::size_t{0}) : 0;
        tally.add(accepted, events_per_body - accepted,
                  accepted == events_per_body ? "" : "POST /v1/events: " + response->body.substr(0, 300));
      }
    });
  }
  for (auto& t : threads) t.join();
  return tally.finish(started);
}

PacedResult grpc_publish_paced(int grpc_port, const std::vector<ingest::v1::PublishRequest>& requests,
                               double events_per_second, int workers) {
  std::vector<std::unique_ptr<ingest::v1::IngestService::Stub>> stubs;
  for (int w = 0; w < workers; ++w) stubs.push_back(ingest::v1::IngestService::NewStub(own_channel(grpc_port)));
  Tally tally;
  PacedResult result;
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  const auto started = Clock::now() + std::chrono::milliseconds(50);
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (std::size_t i; (i = next.fetch_add(1)) < requests.size();) {
        const double events_before = static_cast<double>(i * static_cast<std::size_t>(requests[0].events_size()));
        const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(events_before / events_per_second));
        std::this_thread::sleep_until(due);
        const auto sent = Clock::now();
        publish_one(*stubs[static_cast<std::size_t>(w)], requests[i], tally);
        std::lock_guard lock(mutex);
        result.publish_ms.push_back(elapsed_ms(sent));
        result.behind_ms = std::max(result.behind_ms, elapsed_ms(due, sent));
      }
    });
  }
  for (auto& t : threads) t.join();
  result.run = tally.finish(started);
  return result;
}

std::vector<double> time_queries(int clients, int count, int warmup,
                                 const std::function<bool(analytics::v1::AnalyticsService::Stub&, int i)>& query,
                                 int grpc_port) {
  std::vector<std::unique_ptr<analytics::v1::AnalyticsService::Stub>> stubs;
  for (int c = 0; c < clients; ++c) stubs.push_back(analytics::v1::AnalyticsService::NewStub(own_channel(grpc_port)));
  for (int i = 0; i < warmup; ++i) {
    if (!query(*stubs[static_cast<std::size_t>(i % clients)], -1 - i)) throw std::runtime_error("query failed (warm-up)");
  }
  std::vector<double> latencies;
  std::mutex mutex;
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      for (int i; (i = next.fetch_add(1)) < count;) {
        const auto sent = Clock::now();
        if (!query(*stubs[static_cast<std::size_t>(c)], i)) ++failures;
        mine.push_back(elapsed_ms(sent));
      }
      std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  if (failures > 0) throw std::runtime_error(std::to_string(failures.load()) + " queries failed");
  return latencies;
}

}  // namespace edfleet::bench
