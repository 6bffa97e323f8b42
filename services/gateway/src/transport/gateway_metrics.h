// The gateway's Prometheus metrics (on /metrics next to the gRPC server metrics).
#pragma once

#include <chrono>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace edfleet::gateway {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(prometheus::Registry& registry);

  // One finished request: kind "grpc_web" or "http", the gRPC service (or HTTP route) it was for,
  // the outcome code ("OK", "UNAUTHENTICATED", ... or an HTTP status for HTTP routes).
  void request_done(const std::string& kind, const std::string& target, const std::string& code,
                    std::chrono::steady_clock::duration elapsed);
  // A request refused by the gateway itself (not by an upstream), by reason.
  void rejected(const std::string& reason);
  void message_sent() { messages_out_.Increment(); }
  prometheus::Gauge& active_streams() { return active_streams_; }

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& rejections_;
  prometheus::Counter& messages_out_;
  prometheus::Gauge& active_streams_;
};

}  // namespace edfleet::gateway
