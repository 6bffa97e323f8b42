// edfleet-rules composition root. A skeleton until issue #6 brings the rules engine: it serves
// RulesService (every method UNIMPLEMENTED), health, reflection, /metrics and /healthz.
#include "edfleet/service/run_service.h"
#include "transport/rules_service_handler.h"

int main(int argc, char** argv) {
  using namespace edfleet;
  return service::run_service(
      argc, argv, "rules", /*bind_keys=*/nullptr, [](service::ServiceHost& host) {
        auto& handler = host.make<rules::RulesServiceHandler>();
        host.add_grpc_service(&handler, rules::v1::RulesService::service_full_name());
      });
}
