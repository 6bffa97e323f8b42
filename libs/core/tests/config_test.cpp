#include <catch2/catch.hpp>

#include "edfleet/core/config.h"

using edfleet::core::ConfigSpec;
using edfleet::core::Environment;
using namespace std::chrono_literals;

namespace {
struct Sample {
  std::string bootstrap = "localhost:9092";
  int port = 7101;
  bool verbose = false;
  double ratio = 0.5;
  std::chrono::milliseconds timeout = 2s;
  std::vector<std::string> origins;
  std::map<std::string, std::string> routes;
};

ConfigSpec spec_for(Sample& s) {
  ConfigSpec spec("ingest");
  spec.bind("kafka.bootstrap_servers", s.bootstrap, "Kafka bootstrap servers");
  spec.bind("grpc.port", s.port, "gRPC port");
  spec.bind("verbose", s.verbose, "more logs");
  spec.bind("ratio", s.ratio, "a ratio");
  spec.bind("kafka.timeout", s.timeout, "produce timeout");
  spec.bind("cors.origins", s.origins, "allowed origins");
  spec.bind("routes", s.routes, "service routes");
  return spec;
}
}  // namespace

TEST_CASE("defaults stay when neither file nor environment sets a key", "[config]") {
  Sample s;
  auto spec = spec_for(s);
  REQUIRE(spec.load_text("", Environment{}).ok());
  CHECK(s.bootstrap == "localhost:9092");
  CHECK(s.port == 7101);
  CHECK(s.timeout == 2s);
}

TEST_CASE("YAML sets typed values, lists and maps", "[config]") {
  Sample s;
  auto spec = spec_for(s);
  auto r = spec.load_text(R"(
kafka:
  bootstrap_servers: broker:9092
  timeout: 250ms
grpc:
  port: 9000
verbose: yes
ratio: 0.25
cors:
  origins: [https://a.example, https://b.example]
routes:
  edfleet.ingest.v1.IngestService: 127.0.0.1:7101
)",
                          Environment{});
  REQUIRE(r.ok());
  CHECK(s.bootstrap == "broker:9092");
  CHECK(s.timeout == 250ms);
  CHECK(s.port == 9000);
  CHECK(s.verbose);
  CHECK(s.ratio == Approx(0.25));
  CHECK(s.origins == std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK(s.routes.at("edfleet.ingest.v1.IngestService") == "127.0.0.1:7101");
}

TEST_CASE("unknown keys are rejected with their name", "[config]") {
  Sample s;
  auto spec = spec_for(s);
  auto r = spec.load_text("kafka:\n  bootstrap_server: typo:9092\n", Environment{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().field == "kafka.bootstrap_server");
  CHECK_THAT(r.error().message, Catch::Contains("unknown configuration key 'kafka.bootstrap_server'"));

  auto top = spec.load_text("nonsense: 1\n", Environment{});
  REQUIRE_FALSE(top.ok());
  CHECK(top.error().field == "nonsense");
}

TEST_CASE("wrongly typed values name the key and the expectation", "[config]") {
  Sample s;
  auto spec = spec_for(s);
  auto r = spec.load_text("grpc:\n  port: seventy\n", Environment{});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("grpc.port") && Catch::Contains("whole number"));
  auto d = spec.load_text("kafka:\n  timeout: soon\n", Environment{});
  REQUIRE_FALSE(d.ok());
  CHECK_THAT(d.error().message, Catch::Contains("duration"));
}

TEST_CASE("environment overrides the file; the service-specific variable wins", "[config]") {
  Sample s;
  auto spec = spec_for(s);
  Environment env({{"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", "shared:9092"},
                   {"EDFLEET_GRPC_PORT", "1"},
                   {"EDFLEET_INGEST_GRPC_PORT", "2"},
                   {"EDFLEET_CORS_ORIGINS", "https://x.example, https://y.example"},
                   {"EDFLEET_ROUTES", "a=1,b=2"}});
  REQUIRE(spec.load_text("kafka:\n  bootstrap_servers: file:9092\n", env).ok());
  CHECK(s.bootstrap == "shared:9092");
  CHECK(s.port == 2);
  CHECK(s.origins == std::vector<std::string>{"https://x.example", "https://y.example"});
  CHECK(s.routes == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("a bad environment value names the variable", "[config]") {
  Sample s;
  auto spec = spec_for(s);
  auto r = spec.load_text("", Environment(std::map<std::string, std::string>{{"EDFLEET_VERBOSE", "maybe"}}));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("EDFLEET_VERBOSE"));
}

TEST_CASE("a missing config file is an error, invalid YAML too", "[config]") {
  Sample s;
  auto spec = spec_for(s);
  CHECK_FALSE(spec.load("/nonexistent/edfleet.yaml", Environment{}).ok());
  CHECK_FALSE(spec.load_text("a: [unclosed", Environment{}).ok());
  CHECK_FALSE(spec.load_text("- just\n- a list\n", Environment{}).ok());
}

TEST_CASE("describe lists keys with their environment names", "[config]") {
  Sample s;
  auto spec = spec_for(s);
  auto text = spec.describe();
  CHECK_THAT(text, Catch::Contains("grpc.port") && Catch::Contains("EDFLEET_INGEST_GRPC_PORT"));
}

TEST_CASE("durations parse with units", "[config]") {
  using edfleet::core::parse_duration;
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("3s") == 3s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("1h") == 1h);
  CHECK(parse_duration("100") == 100ms);
  CHECK_FALSE(parse_duration("fast").has_value());
  CHECK_FALSE(parse_duration("3 weeks").has_value());
}
