// Server interceptor that measures and logs every call (see Server's doc comment).
#pragma once

#include <memory>

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace edfleet::grpc::detail {

// Creates one CallObserver per call; holds the metric families they record into.
class CallObserverFactory final : public ::grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallObserverFactory(prometheus::Registry& registry);
  ::grpc::experimental::Interceptor* CreateServerInterceptor(
      ::grpc::experimental::ServerRpcInfo* info) override;

  prometheus::Family<prometheus::Counter>& handled() { return handled_; }
  prometheus::Family<prometheus::Histogram>& handling_seconds() { return handling_seconds_; }

 private:
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
};

}  // namespace edfleet::grpc::detail
