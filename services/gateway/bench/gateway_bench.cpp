// edfleet-bench-gateway: the latency the gateway adds. The same unary call (grpc.health.v1.Health/
// Check on an in-process upstream) is made directly over gRPC and as gRPC-Web through
// edfleet-gateway (a separate process, authenticating an API key from its Postgres), at a fixed
// offered rate, alternating the two paths over several rounds in one run. Latency is measured from
// each request's scheduled send time (open loop), so queueing behind a slow response counts.
// Prints JSON lines per the benchmark protocol (PLAN.md); --quick for a short smoke run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "api_key_admin.h"
#include "edfleet/core/log.h"
#include "edfleet/grpc/server.h"
#include "edfleet/testing/testing.h"

namespace {

using namespace edfleet;
using Clock = std::chrono::steady_clock;

struct Options {
  double rate = 2000;                     // requests per second offered
  std::chrono::milliseconds duration{3000};  // per round and path
  int rounds = 5;
  int workers = 32;                       // concurrent clients (connections) per path
  bool quick = false;
};

struct RoundResult {
  std::vector<double> latencies_ms;       // from scheduled send to response complete
  int errors = 0;
  double seconds = 0;
  double p(double q) const {
    if (latencies_ms.empty()) return NAN;
    std::vector<double> sorted = latencies_ms;
    std::sort(sorted.begin(), sorted.end());
    auto index = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
  }
  double throughput() const { return static_cast<double>(latencies_ms.size()) / seconds; }
};

// Runs `call` (returns true on success) open-loop at options.rate for options.duration across
// options.workers threads, each with its own client from `make_client(worker)`.
template <typename MakeCall>
RoundResult run_round(const Options& options, MakeCall make_call) {
  const auto total = static_cast<std::int64_t>(options.rate * std::chrono::duration<double>(options.duration).count());
  const auto interval = std::chrono::duration<double>(1.0 / options.rate);
  std::atomic<std::int64_t> next{0};
  std::mutex mutex;
  RoundResult result;
  result.latencies_ms.reserve(static_cast<std::size_t>(total));
  const auto start = Clock::now() + std::chrono::milliseconds(50);
  std::vector<std::thread> threads;
  for (int w = 0; w < options.workers; ++w) {
    threads.emplace_back([&, w] {
      auto call = make_call(w);
      std::vector<double> mine;
      int errors = 0;
      for (;;) {
        const std::int64_t i = next.fetch_add(1);
        if (i >= total) break;
        const auto scheduled = start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
        std::this_thread::sleep_until(scheduled);
        if (call()) {
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count());
        } else {
          ++errors;
        }
      }
      std::lock_guard lock(mutex);
      result.latencies_ms.insert(result.latencies_ms.end(), mine.begin(), mine.end());
      result.errors += errors;
    });
  }
  for (auto& thread : threads) thread.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? NAN : values[values.size() / 2];
}

void emit(const std::string& case_name, const std::string& metric, double value, const std::string& unit,
          const std::string& goal, nlohmann::json ok) {
  nlohmann::json line = {{"bench", "gateway"}, {"case", case_name}, {"metric", metric},
                         {"value", std::round(value * 1000) / 1000}, {"unit", unit}, {"goal", goal}, {"ok", ok}};
  std::cout << line.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      options.quick = true;
      options.duration = std::chrono::milliseconds(1000);
      options.rounds = 1;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: edfleet-bench-gateway [--quick]\n"
                   "Measures gRPC-Web unary calls through edfleet-gateway against the same call made directly\n"
                   "over gRPC, at 2,000 requests/s offered; prints JSON lines (bench protocol).\n";
      return 0;
    } else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }
  core::log::init("bench-gateway", "warn");

  try {
    // The upstream: a gRPC server in this process (grpc.health.v1 is built in).
    auto registry = std::make_shared<prometheus::Registry>();
    edfleet::grpc::Server upstream(registry);
    const int upstream_port = upstream.start("127.0.0.1", 0);
    upstream.set_serving(true);
    const std::string upstream_address = "127.0.0.1:" + std::to_string(upstream_port);

    const std::string database = testing::fresh_database("gateway_bench");
    gateway::ApiKeyAdmin admin(database);
    auto key = admin.create("bench", "bench", {"service"});
    if (!key) throw std::runtime_error(key.error().message);

    testing::ServiceProcess gateway_process(
        "edfleet-gateway",
        {{"EDFLEET_GATEWAY_POSTGRES_URL", database},
         {"EDFLEET_GATEWAY_LOG_LEVEL", "warn"},
         {"EDFLEET_GATEWAY_UPSTREAM_EXTRA", "bench=" + upstream_address},
         {"EDFLEET_GATEWAY_ROUTES", "grpc.health.v1.Health=bench"},
         {"EDFLEET_GATEWAY_LIMITS_KEY_RATE", "0"},
         {"EDFLEET_GATEWAY_LIMITS_TENANT_RATE", "0"},
         {"EDFLEET_GATEWAY_HTTP_THREADS", std::to_string(options.workers + 16)}});
    const int gateway_port = gateway_process.http_port();

    // A HealthCheckRequest for the whole server: an empty message.
    const std::string frame(5, '\0');
    const std::string authorization = "Bearer " + key->key;

    auto channel = ::grpc::CreateChannel(upstream_address, ::grpc::InsecureChannelCredentials());
    auto direct = [&](int) {
      auto stub = std::make_shared<::grpc::GenericStub>(channel);
      return [stub] {
        ::grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        ::grpc::Slice empty("");
        ::grpc::ByteBuffer request(&empty, 1);
        ::grpc::ByteBuffer response;
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        ::grpc::Status status;
        stub->UnaryCall(&context, "/grpc.health.v1.Health/Check", ::grpc::StubOptions(), &request, &response,
                        [&](::grpc::Status s) {
                          std::lock_guard lock(m);
                          status = std::move(s);
                          done = true;
                          cv.notify_one();
                        });
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return done; });
        return status.ok();
      };
    };
    auto through_gateway = [&](int) {
      auto client = std::make_shared<httplib::Client>("127.0.0.1", gateway_port);
      client->set_keep_alive(true);
      client->set_tcp_nodelay(true);
      client->set_read_timeout(std::chrono::seconds(5));
      return [client, &frame, &authorization] {
        httplib::Headers headers = {{"Authorization", authorization}, {"X-Grpc-Web", "1"}};
        auto res = client->Post("/grpc.health.v1.Health/Check", headers, frame, "application/grpc-web+proto");
        return res && res->status == 200 && res->body.find("grpc-status: 0") != std::string::npos;
      };
    };

    // Warm up both paths (connections, caches), then alternate.
    Options warm = options;
    warm.duration = std::chrono::milliseconds(500);
    run_round(warm, direct);
    run_round(warm, through_gateway);

    std::vector<double> direct_p50, direct_p99, gateway_p50, gateway_p99, gateway_rps, added_p50, added_p99;
    int errors = 0;
    for (int round = 0; round < options.rounds; ++round) {
      auto d = run_round(options, direct);
      auto g = run_round(options, through_gateway);
      errors += d.errors + g.errors;
      direct_p50.push_back(d.p(0.50));
      direct_p99.push_back(d.p(0.99));
      gateway_p50.push_back(g.p(0.50));
      gateway_p99.push_back(g.p(0.99));
      gateway_rps.push_back(g.throughput());
      added_p50.push_back(g.p(0.50) - d.p(0.50));
      added_p99.push_back(g.p(0.99) - d.p(0.99));
    }
    const std::string offered = std::to_string(static_cast<int>(options.rate)) + " req/s offered";
    const std::string direct_case = "Health/Check direct gRPC, " + offered;
    const std::string gateway_case = "Health/Check gRPC-Web via gateway (API key), " + offered;
    emit(direct_case, "p50 latency", median(direct_p50), "ms", "", nullptr);
    emit(direct_case, "p99 latency", median(direct_p99), "ms", "", nullptr);
    emit(gateway_case, "p50 latency", median(gateway_p50), "ms", "", nullptr);
    emit(gateway_case, "p99 latency", median(gateway_p99), "ms", "", nullptr);
    emit(gateway_case, "added p50 latency", median(added_p50), "ms", "", nullptr);
    const double p99 = median(added_p99);
    emit(gateway_case, "added p99 latency", p99, "ms", "< 1", options.quick ? nlohmann::json(nullptr) : nlohmann::json(p99 < 1.0));
    const double rps = median(gateway_rps);
    emit(gateway_case, "requests/s", rps, "req/s", ">= " + std::to_string(static_cast<int>(options.rate * 0.98)),
         nlohmann::json(rps >= options.rate * 0.98 && errors == 0));
    emit(gateway_case, "errors", errors, "count", "0", nlohmann::json(errors == 0));
  } catch (const std::exception& e) {
    std::cerr << "edfleet-bench-gateway: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
