// edfleet-notify composition root. A skeleton until a later issue brings notification delivery:
// it serves NotifyService (every method UNIMPLEMENTED), health, reflection, /metrics and /healthz.
#include "edfleet/service/run_service.h"
#include "transport/notify_service_handler.h"

int main(int argc, char** argv) {
  using namespace edfleet;
  return service::run_service(
      argc, argv, "notify", /*bind_keys=*/nullptr, [](service::ServiceHost& host) {
        auto& handler = host.make<notify::NotifyServiceHandler>();
        host.add_grpc_service(&handler, notify::v1::NotifyService::service_full_name());
      });
}
