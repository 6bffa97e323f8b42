#include "edfleet/service/common_config.h"

#include <catch2/catch.hpp>

using edfleet::core::ConfigSpec;
using edfleet::core::Environment;
using edfleet::service::CommonConfig;

TEST_CASE("common keys keep their defaults when nothing is configured") {
  ConfigSpec spec("rules");
  CommonConfig config;
  edfleet::service::bind_common(spec, config);
  REQUIRE(spec.load_text("", Environment()).ok());
  CHECK(config.host == "127.0.0.1");
  CHECK(config.grpc_port == 0);
  CHECK(config.http_port == 0);
  CHECK(config.log_level == "info");
  CHECK(config.ready_file.empty());
  CHECK(config.shutdown_grace == std::chrono::seconds(10));
  CHECK(config.postgres_pool_size == 8);
  CHECK(config.admin_port == -1);
  // No default secret: a service refuses to start without one, naming the key.
  auto refused = edfleet::service::validate(config);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().field == "internal_auth.secret");
  config.internal_auth.secret = std::string(32, 's');
  CHECK(edfleet::service::validate(config).ok());
}

TEST_CASE("common keys are read from YAML under their dotted names") {
  ConfigSpec spec("rules");
  CommonConfig config;
  edfleet::service::bind_common(spec, config);
  auto loaded = spec.load_text(R"(
host: 0.0.0.0
grpc:
  port: 7201
http:
  port: 7202
log:
  level: debug
ready_file: /tmp/rules.ready
shutdown_grace: 3s
kafka:
  bootstrap_servers: 127.0.0.1:9092
postgres:
  url: postgresql://postgres@127.0.0.1:5432/rules
  pool_size: 4
)",
                               Environment());
  REQUIRE(loaded.ok());
  CHECK(config.host == "0.0.0.0");
  CHECK(config.grpc_port == 7201);
  CHECK(config.http_port == 7202);
  CHECK(config.log_level == "debug");
  CHECK(config.ready_file == "/tmp/rules.ready");
  CHECK(config.shutdown_grace == std::chrono::seconds(3));
  CHECK(config.kafka_bootstrap_servers == "127.0.0.1:9092");
  CHECK(config.postgres_url == "postgresql://postgres@127.0.0.1:5432/rules");
  CHECK(config.postgres_pool_size == 4);
}

TEST_CASE("the environment overrides the file: per service first, then fleet-wide") {
  ConfigSpec spec("rules");
  CommonConfig config;
  edfleet::service::bind_common(spec, config);
  Environment env(std::map<std::string, std::string>{{"EDFLEET_READY_FILE", "/run/rules.ready"},
                   {"EDFLEET_GRPC_PORT", "1"},
                   {"EDFLEET_RULES_GRPC_PORT", "0"},
                   {"EDFLEET_HTTP_PORT", "0"},
                   {"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"}});
  REQUIRE(spec.load_text("grpc:\n  port: 7201\nhttp:\n  port: 7202\nready_file: \"\"\n", env).ok());
  CHECK(config.ready_file == "/run/rules.ready");
  CHECK(config.grpc_port == 0);
  CHECK(config.http_port == 0);
  CHECK(config.kafka_bootstrap_servers == "127.0.0.1:19092");
}

TEST_CASE("--help text lists the common keys with their environment variables") {
  ConfigSpec spec("rules");
  CommonConfig config;
  edfleet::service::bind_common(spec, config);
  auto text = spec.describe();
  for (const char* key : {"host", "grpc.port", "http.port", "log.level", "ready_file", "shutdown_grace",
                          "kafka.bootstrap_servers", "postgres.url", "postgres.pool_size"}) {
    INFO(key);
    CHECK_THAT(text, Catch::Contains(key));
  }
  CHECK_THAT(text, Catch::Contains("EDFLEET_RULES_GRPC_PORT"));
  CHECK_THAT(text, Catch::Contains("EDFLEET_READY_FILE"));
}

TEST_CASE("an unknown key in the file is rejected by name") {
  ConfigSpec spec("rules");
  CommonConfig config;
  edfleet::service::bind_common(spec, config);
  auto loaded = spec.load_text("grpc:\n  prot: 7201\n", Environment());
  REQUIRE_FALSE(loaded.ok());
  CHECK_THAT(loaded.error().message, Catch::Contains("grpc.prot"));
}

// Valid but for what a test case changes.
struct ValidConfig : CommonConfig {
  ValidConfig() { internal_auth.secret = std::string(32, 's'); }
};

TEST_CASE("validate names the offending key") {
  auto field_of = [](CommonConfig config) {
    auto result = edfleet::service::validate(config);
    return result.ok() ? std::string("ok") : result.error().field;
  };
  // Every case below starts from a configuration that is valid but for what it changes.
  ValidConfig good;
  CHECK(field_of(good) == "ok");

  ValidConfig short_secret;
  short_secret.internal_auth.secret = "too-short";
  CHECK(field_of(short_secret) == "internal_auth.secret");

  ValidConfig admin_clash;
  admin_clash.http_port = 8080;
  admin_clash.admin_port = 8080;
  CHECK(field_of(admin_clash) == "admin.port");

  ValidConfig bad_admin;
  bad_admin.admin_port = -2;
  CHECK(field_of(bad_admin) == "admin.port");

  ValidConfig tiny_headers;
  tiny_headers.http_max_header_bytes = 100;
  CHECK(field_of(tiny_headers) == "http.max_header_bytes");

  ValidConfig short_request;
  short_request.http_request_timeout = std::chrono::milliseconds(10);
  CHECK(field_of(short_request) == "http.request_timeout");

  ValidConfig bad_port;
  bad_port.grpc_port = 70000;
  CHECK(field_of(bad_port) == "grpc.port");

  ValidConfig negative_http;
  negative_http.http_port = -1;
  CHECK(field_of(negative_http) == "http.port");

  ValidConfig same_ports;
  same_ports.grpc_port = 7201;
  same_ports.http_port = 7201;
  CHECK(field_of(same_ports) == "http.port");

  ValidConfig bad_level;
  bad_level.log_level = "verbose";
  CHECK(field_of(bad_level) == "log.level");

  ValidConfig empty_host;
  empty_host.host = "";
  CHECK(field_of(empty_host) == "host");

  ValidConfig no_pool;
  no_pool.postgres_pool_size = 0;
  CHECK(field_of(no_pool) == "postgres.pool_size");

  ValidConfig negative_grace;
  negative_grace.shutdown_grace = std::chrono::milliseconds(-1);
  CHECK(field_of(negative_grace) == "shutdown_grace");
}
