// edfleet-gateway composition root. A skeleton until issue #4: it serves GatewayAdmin (every
// method UNIMPLEMENTED), health, reflection, /metrics and /healthz.
#include "edfleet/service/run_service.h"
#include "transport/gateway_admin_handler.h"

int main(int argc, char** argv) {
  using namespace edfleet;
  return service::run_service(
      argc, argv, "gateway", /*bind_keys=*/nullptr, [](service::ServiceHost& host) {
        auto& handler = host.make<gateway::GatewayAdminHandler>();
        host.add_grpc_service(&handler, gateway::v1::GatewayAdmin::service_full_name());
      });
}
