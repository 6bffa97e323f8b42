// Load generators for the real services: gRPC Publish and HTTP POST /v1/events at full speed from
// several concurrent clients, paced gRPC publishing at a fixed event rate, and analytics queries.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

#include "edfleet/analytics/v1/analytics.grpc.pb.h"
#include "edfleet/ingest/v1/ingest.grpc.pb.h"

namespace edfleet::bench {

// A channel of its own (not shared with other channels to the same address), so that concurrent
// clients are concurrent connections.
std::shared_ptr<::grpc::Channel> own_channel(int port);

struct RunResult {
  double rate = 0;              // accepted events/s over the run
  std::size_t accepted = 0;
  std::size_t not_accepted = 0; // rejected or unavailable: the benchmark's events are all valid
  std::string first_problem;
};

// Sends every request (each a batch), `clients` at a time, as fast as answers come back.
RunResult grpc_publish_run(int grpc_port, const std::vector<ingest::v1::PublishRequest>& requests, int clients);
// The same over HTTP: each body a JSON array of events.
RunResult http_publish_run(int http_port, const std::vector<std::string>& bodies, std::size_t events_per_body,
                           int clients);

struct PacedResult {
  RunResult run;
  std::vector<double> publish_ms;   // per call
  double behind_ms = 0;             // the latest any batch went out after its due time
};
// Publishes request i at start + i * (batch events / rate), from `workers` threads.
PacedResult grpc_publish_paced(int grpc_port, const std::vector<ingest::v1::PublishRequest>& requests,
                               double events_per_second, int workers);

// Calls `query` (one RPC; returns false when it failed) `count` times from `clients` threads after
// `warmup` calls; returns each call's latency in ms. Throws if any call failed.
std::vector<double> time_queries(int clients, int count, int warmup,
                                 const std::function<bool(analytics::v1::AnalyticsService::Stub&, int i)>& query,
                                 int grpc_port);

}  // namespace edfleet::bench
