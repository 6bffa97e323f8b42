// edfleet-gateway composition root: the configuration keys and the wiring live in gateway_app.cpp.
#include "edfleet/service/run_service.h"
#include "gateway_app.h"

int main(int argc, char** argv) {
  using namespace edfleet;
  gateway::GatewaySettings settings;
  return service::run_service(
      argc, argv, "gateway", [&](core::ConfigSpec& spec) { gateway::bind_settings(spec, settings); },
      [&](service::ServiceHost& host) { gateway::wire_gateway(host, settings); }, gateway::common_defaults());
}
