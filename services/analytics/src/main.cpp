// edfleet-analytics: composition root. Wires Postgres (migrations, pool, store), the
// edfleet.events.v1 consumer loop with its DLQ producer, and the AnalyticsService gRPC handlers.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/pg_event_count_store.h"
#include "domain/queries.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/log.h"
#include "edfleet/kafka/consumer.h"
#include "edfleet/kafka/consumer_settings.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/pg/pool.h"
#include "edfleet/service/run_service.h"
#include "transport/analytics_grpc_service.h"
#include "transport/events_consumer.h"

namespace edfleet::analytics {
const std::vector<pg::Migration>& migrations();  // generated from migrations/*.sql
}

namespace {

// The keys under `analytics.` (documented in config.yaml).
struct Settings {
  edfleet::kafka::ConsumerSettings consumer{std::string(edfleet::contracts::kEventsTopic), "edfleet-analytics"};
  bool migrate = true;
};

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edfleet;
  using namespace edfleet::analytics;
  Settings settings;
  return service::run_service(
      argc, argv, "analytics",
      [&](core::ConfigSpec& spec) {
        settings.consumer.bind(spec, "analytics", "the events topic to count");
        spec.bind("analytics.migrate", settings.migrate, "apply the schema migrations at start-up");
      },
      [&](service::ServiceHost& host) {
        const auto& common = host.config();
        require(!common.postgres_url.empty(),
                "postgres.url is required (EDFLEET_ANALYTICS_POSTGRES_URL or EDFLEET_POSTGRES_URL)");
        require(!common.kafka_bootstrap_servers.empty(),
                "kafka.bootstrap_servers is required (EDFLEET_KAFKA_BOOTSTRAP_SERVERS)");
        require(!settings.consumer.topic.empty(), "analytics.topic must not be empty");
        require(!settings.consumer.consumer_group.empty(), "analytics.consumer_group must not be empty");
        require(settings.consumer.max_batch >= 1 && settings.consumer.max_batch <= 10000,
                "analytics.max_batch must be between 1 and 10000");
        require(settings.consumer.max_batch_wait.count() >= 0, "analytics.max_batch_wait must not be negative");
        require(settings.consumer.fetch_wait_max.count() >= 0 && settings.consumer.fetch_wait_max.count() <= 300000,
                "analytics.fetch_wait_max must be between 0 and 300s");

        auto& pool = host.make<pg::ConnectionPool>(common.postgres_url,
                                                   static_cast<std::size_t>(common.postgres_pool_size));
        if (settings.migrate) {
          auto connection = pool.acquire();
          pg::apply_migrations(*connection, "analytics", migrations());
        }
        auto& clock = core::SystemClock::instance();
        auto& store = host.make<PgEventCountStore>(pool);

        auto& queries = host.make<AnalyticsQueries>(store, clock);
        auto& grpc_service = host.make<AnalyticsGrpcService>(queries);
        host.add_grpc_service(&grpc_service, std::string(v1::AnalyticsService::service_full_name()));

        kafka::ProducerConfig producer_config;
        producer_config.bootstrap_servers = common.kafka_bootstrap_servers;
        producer_config.client_id = "edfleet-analytics-dlq";
        producer_config.registry = host.registry().get();
        auto& dlq_producer = host.make<kafka::Producer>(producer_config);

        auto& consumer = host.make<EventsConsumer>(store, clock, host.registry().get());
        auto consumer_config = settings.consumer.consumer_config(common.kafka_bootstrap_servers, "edfleet-analytics",
                                                                 host.registry().get());
        auto& loop = host.make<kafka::ConsumerLoop>(consumer_config, consumer, dlq_producer);
        host.add_background([&loop] { loop.run(); }, [&loop] { loop.stop(); }, "events-consumer");
        // Dead letters queued by the last batch go out before the process ends.
        host.on_shutdown([&dlq_producer] { dlq_producer.flush(std::chrono::seconds(5)); });

        core::log::info("analytics wired", {{"topic", settings.consumer.topic},
                                            {"consumer_group", settings.consumer.consumer_group},
                                            {"max_batch", settings.consumer.max_batch},
                                            {"postgres", pool.target()}});
      });
}
