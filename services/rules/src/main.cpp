// edfleet-rules: composition root. Wires Postgres (migrations, rules, checkpoints), the engine, the
// edfleet.events.v1 consumer with its ticker/rule refresher, the actions producer, and RulesService.
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/kafka_action_publisher.h"
#include "adapters/pg_rule_repository.h"
#include "adapters/zoneinfo_time_zones.h"
#include "domain/engine.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/log.h"
#include "edfleet/kafka/consumer.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/pg/pool.h"
#include "edfleet/kafka/consumer_settings.h"
#include "edfleet/service/run_service.h"
#include "transport/events_consumer.h"
#include "transport/rules_service_handler.h"

namespace edfleet::rules {
const std::vector<pg::Migration>& migrations();  // generated from migrations/*.sql
}

namespace {

// The keys under `rules.` (documented in config.yaml).
struct Settings {
  edfleet::kafka::ConsumerSettings consumer{std::string(edfleet::contracts::kEventsTopic), "edfleet-rules", 500,
                                            std::chrono::milliseconds(10), std::chrono::milliseconds(10)};
  std::string actions_topic{edfleet::contracts::kActionsTopic};
  std::string repartition_topic{edfleet::contracts::kRulesRepartitionTopic};
  std::chrono::milliseconds allowed_lateness{5000};
  std::chrono::milliseconds idle_timeout{1000};
  std::chrono::milliseconds tick{250};
  std::chrono::milliseconds refresh_interval{1000};
  std::chrono::milliseconds publish_timeout{10000};
  std::chrono::milliseconds backtest_timeout{30000};
  int max_window_entries = 10000;
  std::string default_time_zone = "UTC";
  std::map<std::string, std::string> tenant_time_zones;
  std::string zoneinfo_dir = "/usr/share/zoneinfo";
  bool migrate = true;
};

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edfleet;
  using namespace edfleet::rules;
  Settings s;
  return service::run_service(
      argc, argv, "rules",
      [&](core::ConfigSpec& spec) {
        s.consumer.bind(spec, "rules", "the events topic the rules run over");
        spec.bind("rules.actions_topic", s.actions_topic, "where actions are published");
        spec.bind("rules.repartition_topic", s.repartition_topic,
                  "internal topic re-keying events by group value for rules grouped by another field");
        spec.bind("rules.allowed_lateness", s.allowed_lateness, "how far behind the newest event time an event may be");
        spec.bind("rules.idle_timeout", s.idle_timeout, "a partition quiet this long follows the wall clock");
        spec.bind("rules.tick", s.tick, "timer / checkpoint period for quiet partitions");
        spec.bind("rules.refresh_interval", s.refresh_interval, "how often rule changes are picked up");
        spec.bind("rules.publish_timeout", s.publish_timeout, "how long Kafka may take to acknowledge actions");
        spec.bind("rules.backtest_timeout", s.backtest_timeout, "longest a backtest may read events");
        spec.bind("rules.max_window_entries", s.max_window_entries, "events kept per key and aggregate");
        spec.bind("rules.default_time_zone", s.default_time_zone, "time zone of schedules for tenants not listed");
        spec.bind("rules.tenant_time_zones", s.tenant_time_zones, "tenant -> time zone, e.g. {acme: Europe/Paris}");
        spec.bind("rules.zoneinfo_dir", s.zoneinfo_dir, "the tz database (TZif files)");
        spec.bind("rules.migrate", s.migrate, "apply the schema migrations at start-up");
      },
      [&](service::ServiceHost& host) {
        const auto& common = host.config();
        require(!common.postgres_url.empty(), "postgres.url is required (EDFLEET_RULES_POSTGRES_URL or EDFLEET_POSTGRES_URL)");
        require(!common.kafka_bootstrap_servers.empty(), "kafka.bootstrap_servers is required (EDFLEET_KAFKA_BOOTSTRAP_SERVERS)");
        require(s.consumer.max_batch >= 1 && s.consumer.max_batch <= 10000, "rules.max_batch must be between 1 and 10000");
        require(s.allowed_lateness.count() >= 0, "rules.allowed_lateness must not be negative");
        require(s.tick.count() >= 10, "rules.tick must be at least 10ms");
        require(s.refresh_interval.count() >= 10, "rules.refresh_interval must be at least 10ms");
        require(s.max_window_entries >= 1, "rules.max_window_entries must be at least 1");
        const auto* topic = contracts::find_topic(s.consumer.topic);

        auto& zones = host.make<ZoneinfoTimeZones>(s.zoneinfo_dir);
        require(zones.find(s.default_time_zone) != nullptr,
                "rules.default_time_zone: \"" + s.default_time_zone + "\" is not a time zone in " + s.zoneinfo_dir);
        for (const auto& [tenant, zone] : s.tenant_time_zones) {
          require(zones.find(zone) != nullptr, "rules.tenant_time_zones." + tenant + ": \"" + zone + "\" is not a time zone");
        }
        TimeZoneCheck zone_check = [&zones](std::string_view name) { return zones.find(std::string(name)) != nullptr; };

        EngineOptions engine_options;
        engine_options.allowed_lateness_us = std::chrono::duration_cast<std::chrono::microseconds>(s.allowed_lateness).count();
        engine_options.max_window_entries = static_cast<std::size_t>(s.max_window_entries);
        engine_options.partitions = topic != nullptr ? topic->partitions : 12;
        engine_options.zone = [&zones](const std::string& name) { return zones.find(name); };
        engine_options.tenant_zone = [&zones, tz = s.tenant_time_zones, fallback = s.default_time_zone](const std::string& tenant) {
          auto it = tz.find(tenant);
          return zones.find(it != tz.end() ? it->second : fallback);
        };

        auto& pool = host.make<pg::ConnectionPool>(common.postgres_url, static_cast<std::size_t>(common.postgres_pool_size));
        if (s.migrate) {
          auto connection = pool.acquire();
          pg::apply_migrations(*connection, "rules", migrations());
        }
        auto& clock = core::SystemClock::instance();
        auto& repository = host.make<PgRuleRepository>(pool);
        auto& store = host.make<PgStateStore>(pool);

        kafka::ProducerConfig producer_config;
        producer_config.bootstrap_servers = common.kafka_bootstrap_servers;
        producer_config.client_id = "edfleet-rules";
        producer_config.linger = std::chrono::milliseconds(1);
        producer_config.delivery_timeout = s.publish_timeout;
        producer_config.registry = host.registry().get();
        auto& producer = host.make<kafka::Producer>(producer_config);
        auto& publisher = host.make<KafkaActionPublisher>(producer, s.actions_topic, s.publish_timeout);
        auto& scanner = host.make<KafkaTopicScanner>(common.kafka_bootstrap_servers, s.consumer.topic);
        auto& forward = host.make<KafkaRepartitionPublisher>(producer, s.repartition_topic, s.publish_timeout);

        // Two stages, each with its own engine, consumer group, ticker and checkpoints (README
        // "Repartitioning"): the events stage forwards events for the repartitioned rules.
        auto& engine = host.make<Engine>(engine_options, clock);
        RunnerOptions runner;
        runner.topic = s.consumer.topic;
        runner.tick = s.tick;
        runner.idle_timeout = s.idle_timeout;
        runner.refresh = s.refresh_interval;
        runner.stage = RuleStage::kPartitioned;
        auto& consumer = host.make<EventsConsumer>(engine, store, publisher, repository, zone_check, runner, clock,
                                                   host.registry().get(), &forward);
        consumer.refresh_rules();  // the rules are in place before the first partition is assigned

        EngineOptions grouped_options = engine_options;
        if (const auto* repartition = contracts::find_topic(s.repartition_topic)) grouped_options.partitions = repartition->partitions;
        auto& grouped_engine = host.make<Engine>(grouped_options, clock);
        RunnerOptions grouped_runner = runner;
        grouped_runner.topic = s.repartition_topic;
        grouped_runner.stage = RuleStage::kRepartitioned;
        grouped_runner.metric_stage = "repartitioned";
        auto& grouped = host.make<EventsConsumer>(grouped_engine, store, publisher, repository, zone_check,
                                                  grouped_runner, clock, host.registry().get());
        grouped.refresh_rules();

        auto& handler = host.make<RulesServiceHandler>(
            repository, zone_check,
            [&scanner, timeout = s.backtest_timeout](const std::function<void(std::int32_t, std::string_view)>& record) {
              return scanner.scan(record, timeout);
            },
            engine_options);
        host.add_grpc_service(&handler, std::string(v1::RulesService::service_full_name()));

        auto consumer_config =
            s.consumer.consumer_config(common.kafka_bootstrap_servers, "edfleet-rules", host.registry().get());
        consumer_config.session_timeout = std::chrono::milliseconds(3000);
        auto& loop = host.make<kafka::ConsumerLoop>(consumer_config, consumer, producer);
        auto grouped_config = consumer_config;
        grouped_config.topics = {s.repartition_topic};
        grouped_config.group_id = s.consumer.consumer_group + ".repartition";
        auto& grouped_loop = host.make<kafka::ConsumerLoop>(grouped_config, grouped, producer);
        host.add_background([&loop] { loop.run(); }, [&loop] { loop.stop(); }, "events-consumer");
        host.add_background([&consumer] { consumer.run(); }, [&consumer] { consumer.stop(); }, "rules-ticker");
        host.add_background([&grouped_loop] { grouped_loop.run(); }, [&grouped_loop] { grouped_loop.stop(); },
                            "repartition-consumer");
        host.add_background([&grouped] { grouped.run(); }, [&grouped] { grouped.stop(); }, "repartition-ticker");
        host.on_shutdown([&producer] { producer.flush(std::chrono::seconds(5)); });

        core::log::info("rules wired", {{"topic", s.consumer.topic}, {"actions_topic", s.actions_topic},
                                        {"repartition_topic", s.repartition_topic},
                                        {"consumer_group", s.consumer.consumer_group}, {"postgres", pool.target()},
                                        {"rules_revision", consumer.rules_revision()}});
      });
}
