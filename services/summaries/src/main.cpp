// edfleet-summaries composition root. A skeleton until a later issue brings summaries and
// predictions: it serves SummariesService (every method UNIMPLEMENTED), health, reflection,
// /metrics and /healthz.
#include "edfleet/service/run_service.h"
#include "transport/summaries_service_handler.h"

int main(int argc, char** argv) {
  using namespace edfleet;
  return service::run_service(
      argc, argv, "summaries", /*bind_keys=*/nullptr, [](service::ServiceHost& host) {
        auto& handler = host.make<summaries::SummariesServiceHandler>();
        host.add_grpc_service(&handler, summaries::v1::SummariesService::service_full_name());
      });
}
