#include <catch2/catch.hpp>

#include "fleet.h"

using namespace edfleet::cli;

TEST_CASE("the fleet starts the six services with the gateway last") {
  std::vector<std::string> names;
  for (const auto& s : fleet_services()) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"ingest", "analytics", "rules", "summaries", "notify", "gateway"});
  CHECK(binary_name("ingest") == "edfleet-ingest");
  CHECK(database_name("analytics") == "edfleet_analytics");
  CHECK(env_prefix("summaries") == "EDFLEET_SUMMARIES_");
  CHECK(find_service("nope") == nullptr);
}

TEST_CASE("port plans: defaults, shifted and ephemeral") {
  const auto& gateway = *find_service("gateway");
  const auto& ingest = *find_service("ingest");
  const auto& analytics = *find_service("analytics");
  PortPlan defaults;
  CHECK(defaults.ports_for(gateway).grpc == 7000);
  CHECK(defaults.ports_for(gateway).http == 8080);
  CHECK(defaults.ports_for(ingest).grpc == 7101);
  CHECK(defaults.ports_for(ingest).http == 7102);
  CHECK(defaults.ports_for(analytics).grpc == 7501);

  auto shifted = shifted_port_plan(17000);
  REQUIRE(shifted.ok());
  CHECK(shifted->ports_for(gateway).grpc == 17000);
  CHECK(shifted->ports_for(gateway).http == 18080);
  CHECK(shifted->ports_for(ingest).http == 17102);

  PortPlan ephemeral{PortPlan::Mode::kEphemeral, 0};
  CHECK(ephemeral.ports_for(ingest).grpc == 0);
  CHECK(ephemeral.ports_for(ingest).http == 0);

  CHECK_FALSE(shifted_port_plan(1023).ok());
  CHECK(shifted_port_plan(1024).ok());
  CHECK(shifted_port_plan(64455).ok());
  auto too_high = shifted_port_plan(64456);
  REQUIRE_FALSE(too_high.ok());
  CHECK_THAT(too_high.error().message, Catch::Contains("between 1024 and 64455"));
}

TEST_CASE("database URLs get the service's database") {
  CHECK(*with_database("postgresql://postgres@127.0.0.1:5432/postgres", "edfleet_ingest") ==
        "postgresql://postgres@127.0.0.1:5432/edfleet_ingest");
  CHECK(*with_database("postgresql://u:p@db:5432", "x") == "postgresql://u:p@db:5432/x");
  CHECK(*with_database("postgres://u@db/app?sslmode=disable", "x") == "postgres://u@db/x?sslmode=disable");
  CHECK(*with_database("postgresql://db?sslmode=require", "x") == "postgresql://db/x?sslmode=require");
  CHECK_FALSE(with_database("host=db dbname=app", "x").ok());
  CHECK_FALSE(with_database("mysql://db/app", "x").ok());
}

TEST_CASE("passwords are redacted") {
  CHECK(redact_url("postgresql://u:secret@db:5432/app") == "postgresql://u:***@db:5432/app");
  CHECK(redact_url("postgresql://u@db:5432/app") == "postgresql://u@db:5432/app");
  CHECK(redact_url("postgresql://db:5432/app") == "postgresql://db:5432/app");
  CHECK(redact_url("not a url") == "not a url");
}

TEST_CASE("a service's environment uses its own override names") {
  ServiceLaunch launch;
  launch.kafka_bootstrap_servers = "127.0.0.1:9092";
  launch.postgres_url = "postgresql://postgres@127.0.0.1:5/edfleet_gateway";
  launch.ports = {7000, 8080};
  launch.ready_file = "/tmp/run/gateway.ready";
  launch.log_level = "debug";
  launch.upstreams = {{"ingest", "127.0.0.1:7101"}, {"rules", "127.0.0.1:7201"}};
  launch.upstream_http = {{"ingest", "127.0.0.1:7102"}};
  auto env = service_environment(*find_service("gateway"), launch);
  CHECK(env.at("EDFLEET_KAFKA_BOOTSTRAP_SERVERS") == "127.0.0.1:9092");
  CHECK(env.at("EDFLEET_GATEWAY_KAFKA_BOOTSTRAP_SERVERS") == "127.0.0.1:9092");
  CHECK(env.at("EDFLEET_GATEWAY_POSTGRES_URL") == launch.postgres_url);
  CHECK(env.at("EDFLEET_GATEWAY_GRPC_PORT") == "7000");
  CHECK(env.at("EDFLEET_GATEWAY_HTTP_PORT") == "8080");
  CHECK(env.at("EDFLEET_READY_FILE") == "/tmp/run/gateway.ready");
  CHECK(env.at("EDFLEET_GATEWAY_READY_FILE") == "/tmp/run/gateway.ready");
  CHECK(env.at("EDFLEET_GATEWAY_LOG_LEVEL") == "debug");
  CHECK(env.at("EDFLEET_GATEWAY_INGEST_ADDRESS") == "127.0.0.1:7101");
  CHECK(env.at("EDFLEET_GATEWAY_RULES_ADDRESS") == "127.0.0.1:7201");
  CHECK(env.at("EDFLEET_GATEWAY_INGEST_HTTP_ADDRESS") == "127.0.0.1:7102");
  CHECK(find_service("gateway")->needs_database);

  ServiceLaunch bare;
  bare.ports = {0, 0};
  auto env2 = service_environment(*find_service("ingest"), bare);
  CHECK(env2.count("EDFLEET_INGEST_POSTGRES_URL") == 0);
  CHECK(env2.count("EDFLEET_INGEST_LOG_LEVEL") == 0);
  CHECK(env2.at("EDFLEET_INGEST_GRPC_PORT") == "0");
}
