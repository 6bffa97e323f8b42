#include "call_observer.h"

#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <string_view>

#include "edfleet/core/log.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"

namespace edfleet::grpc::detail {
namespace {

using ::grpc::experimental::InterceptionHookPoints;

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return buckets;
}

// Probes and tooling call these constantly; their access logs are debug-level noise.
bool is_infrastructure_method(std::string_view method) {
  return method.starts_with("/grpc.health.v1.") || method.starts_with("/grpc.reflection.");
}

std::string first_value(const std::multimap<::grpc::string_ref, ::grpc::string_ref>& metadata,
                        std::string_view key) {
  auto it = metadata.find(::grpc::string_ref(key.data(), key.size()));
  return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// One per call. gRPC runs the hooks of one call sequentially, so no locking is needed; the
// interceptor is destroyed when the call is over, which is where a call that never sent a status
// (cancelled by the client or by shutdown) is accounted for.
class CallObserver final : public ::grpc::experimental::Interceptor {
 public:
  CallObserver(CallObserverFactory& factory, ::grpc::experimental::ServerRpcInfo* info)
      : factory_(factory),
        info_(info),
        method_(info->method() ? info->method() : "unknown"),
        started_(std::chrono::steady_clock::now()) {}

  ~CallObserver() override {
    if (!recorded_) record(::grpc::Status(::grpc::StatusCode::CANCELLED, "call ended without a status"));
  }

  void Intercept(::grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      if (auto* metadata = methods->GetRecvInitialMetadata()) {
        if (auto parsed = parse_traceparent(first_value(*metadata, kTraceparentKey))) {
          trace_id_ = parsed->trace_id;
        }
        tenant_ = first_value(*metadata, kTenantKey);
      }
      if (auto* context = info_->server_context()) peer_ = context->peer();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      record(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void record(const ::grpc::Status& status) {
    recorded_ = true;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    std::string code(status_code_name(status.error_code()));
    factory_.handled().Add({{"method", method_}, {"code", code}}).Increment();
    factory_.handling_seconds().Add({{"method", method_}}, latency_buckets()).Observe(seconds);

    auto level = core::log::Level::kInfo;
    if (is_infrastructure_method(method_)) {
      level = core::log::Level::kDebug;
    } else if (status.error_code() == ::grpc::StatusCode::INTERNAL ||
               status.error_code() == ::grpc::StatusCode::UNKNOWN ||
               status.error_code() == ::grpc::StatusCode::DATA_LOSS) {
      level = core::log::Level::kWarn;
    }
    if (!core::log::enabled(level)) return;
    nlohmann::json fields = {{"method", method_},
                             {"code", code},
                             {"duration_ms", std::round(seconds * 1e6) / 1e3},
                             {"peer", peer_},
                             {"trace_id", trace_id_},
                             {"tenant", tenant_}};
    if (!status.ok()) fields["error"] = status.error_message();
    core::log::write(level, "grpc call", fields);
  }

  CallObserverFactory& factory_;
  ::grpc::experimental::ServerRpcInfo* info_;
  std::string method_;
  std::chrono::steady_clock::time_point started_;
  std::string trace_id_;
  std::string tenant_;
  std::string peer_;
  bool recorded_ = false;
};

}  // namespace

CallObserverFactory::CallObserverFactory(prometheus::Registry& registry)
    : handled_(prometheus::BuildCounter()
                   .Name("edfleet_grpc_server_handled_total")
                   .Help("gRPC calls completed on the server, by method and status code.")
                   .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("edfleet_grpc_server_handling_seconds")
                            .Help("Time from receiving a gRPC call to sending its status, by method.")
                            .Register(registry)) {}

::grpc::experimental::Interceptor* CallObserverFactory::CreateServerInterceptor(
    ::grpc::experimental::ServerRpcInfo* info) {
  return new CallObserver(*this, info);
}

}  // namespace edfleet::grpc::detail
