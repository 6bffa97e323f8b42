#include "transport/gateway_metrics.h"

namespace edfleet::gateway {

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("edfleet_gateway_requests_total")
                    .Help("Requests the gateway finished, by kind (grpc_web|http), target service or route, and code.")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("edfleet_gateway_request_seconds")
                     .Help("Time from request to the end of the response (streams: until they end), by kind.")
                     .Register(registry)),
      rejections_(prometheus::BuildCounter()
                      .Name("edfleet_gateway_rejections_total")
                      .Help("Requests refused by the gateway itself, by reason.")
                      .Register(registry)),
      messages_out_(prometheus::BuildCounter()
                        .Name("edfleet_gateway_stream_messages_total")
                        .Help("gRPC-Web response messages sent to clients.")
                        .Register(registry)
                        .Add({})),
      active_streams_(prometheus::BuildGauge()
                          .Name("edfleet_gateway_active_streams")
                          .Help("gRPC-Web calls in progress (unary and streaming).")
                          .Register(registry)
                          .Add({})) {}

void GatewayMetrics::request_done(const std::string& kind, const std::string& target, const std::string& code,
                                  std::chrono::steady_clock::duration elapsed) {
  requests_.Add({{"kind", kind}, {"target", target}, {"code", code}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  durations_.Add({{"kind", kind}}, kBuckets).Observe(std::chrono::duration<double>(elapsed).count());
}

void GatewayMetrics::rejected(const std::string& reason) { rejections_.Add({{"reason", reason}}).Increment(); }

}  // namespace edfleet::gateway
