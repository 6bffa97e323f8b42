// edfleet-ingest: composition root only. Configuration keys: the common ones (see libs/service) and
// ingest.* (see config.yaml).
#include <stdexcept>

#include "edfleet/core/clock.h"
#include "edfleet/core/ids.h"
#include "edfleet/service/run_service.h"
#include "ingest_app.h"

int main(int argc, char** argv) {
  using namespace edfleet;
  ingest::IngestConfig config;
  return service::run_service(
      argc, argv, "ingest", [&config](core::ConfigSpec& spec) { ingest::bind_ingest_config(spec, config); },
      [&config](service::ServiceHost& host) {
        if (auto valid = ingest::validate(config, host.config()); !valid.ok()) {
          throw std::invalid_argument("configuration key " + valid.error().field + " " + valid.error().message);
        }
        auto& app = host.make<ingest::IngestApp>(host.config(), config, *host.registry(),
                                                 core::SystemClock::instance(), core::RandomIdGenerator::instance());
        host.add_grpc_service(&app.grpc_service(), ingest::v1::IngestService::service_full_name());
        app.add_http_routes(host.http(), host.identity_verifier());
        // The host stops these before its shutdown steps: the producer is flushed after them.
        host.add_background([&app] { app.run_materialiser(); }, [&app] { app.stop_materialiser(); },
                            "xapi-materialiser");
        host.add_background([&app] { app.run_consistency_watcher(); }, [&app] { app.stop_consistency_watcher(); },
                            "xapi-consistency");
        host.on_shutdown([&app] { app.flush(); });
      });
}
