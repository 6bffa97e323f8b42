#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>

#include <httplib.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <thread>

#include "edfleet/kafka/producer.h"
#include "edfleet/testing/testing.h"

using namespace std::chrono_literals;
namespace testing = edfleet::testing;

namespace {

bool tcp_connects(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A stand-in service: a shell script speaking the ready-file protocol.
const std::string kFakeService =
    "echo \"starting with FAKE_SETTING=$FAKE_SETTING\"; echo 'a warning' >&2; "
    "printf '{\"service\":\"fake\",\"grpc_port\":%d,\"http_port\":%d,\"pid\":%d}' $1 $2 $$ "
    "  > \"$EDFLEET_READY_FILE.tmp\" && mv \"$EDFLEET_READY_FILE.tmp\" \"$EDFLEET_READY_FILE\"; "
    "exec sleep 60";

}  // namespace

TEST_CASE("wait_until returns as soon as the condition holds", "[wait]") {
  int calls = 0;
  CHECK(testing::wait_until([&] { return ++calls == 1; }));
  CHECK(calls == 1);

  calls = 0;
  auto started = std::chrono::steady_clock::now();
  CHECK(testing::wait_until([&] { return ++calls == 5; }, 10s));
  CHECK(calls == 5);
  // Backoff starts small: four retries take milliseconds, not seconds.
  CHECK(std::chrono::steady_clock::now() - started < 1s);
}

TEST_CASE("wait_until gives up after the timeout", "[wait]") {
  int calls = 0;
  auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(testing::wait_until([&] { ++calls; return false; }, 200ms));
  auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(elapsed >= 200ms);
  CHECK(elapsed < 2s);
  CHECK(calls >= 4);  // it kept polling, with a final check at the deadline
}

TEST_CASE("fresh_database returns a new, separate database each time", "[postgres]") {
  auto first = testing::fresh_database("My-Prefix");
  auto second = testing::fresh_database("My-Prefix");
  CHECK(first != second);
  CHECK_THAT(first, Catch::Contains("/my_prefix_"));
  CHECK(&testing::shared_postgres() == &testing::shared_postgres());
  CHECK_THAT(first, Catch::StartsWith(testing::shared_postgres().url("")));

  pqxx::connection a(first);
  pqxx::connection b(second);
  {
    pqxx::nontransaction tx(a);
    tx.exec("CREATE TABLE only_in_first (x int)");
  }
  pqxx::nontransaction tx(b);
  CHECK(tx.exec("SELECT to_regclass('only_in_first') IS NULL")[0][0].as<bool>());
  CHECK(tx.exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0].as<int>() == 0);
}

TEST_CASE("shared_broker is one reachable cluster per binary", "[kafka]") {
  auto& broker = testing::shared_broker();
  CHECK(&broker == &testing::shared_broker());
  const auto& servers = broker.bootstrap_servers();
  REQUIRE_THAT(servers, Catch::StartsWith("127.0.0.1:"));
  int port = std::stoi(servers.substr(servers.find(':') + 1));
  CHECK(tcp_connects(port));
}

TEST_CASE("bin_path points into EDFLEET_BIN_DIR", "[service]") {
  const char* original = std::getenv("EDFLEET_BIN_DIR");
  std::string saved = original != nullptr ? original : "";
  struct Restore {
    std::string value;
    bool had;
    ~Restore() { had ? ::setenv("EDFLEET_BIN_DIR", value.c_str(), 1) : ::unsetenv("EDFLEET_BIN_DIR"); }
  } restore{saved, original != nullptr};
  ::setenv("EDFLEET_BIN_DIR", "/opt/edfleet/bin", 1);
  CHECK(testing::bin_path("edfleet-ingest") == "/opt/edfleet/bin/edfleet-ingest");
  ::unsetenv("EDFLEET_BIN_DIR");
  char self[4096] = {};
  REQUIRE(::readlink("/proc/self/exe", self, sizeof self - 1) > 0);
  std::string dir(self);
  dir = dir.substr(0, dir.rfind('/'));
  CHECK(testing::bin_path("edfleet-ingest") == dir + "/edfleet-ingest");
}

TEST_CASE("ServiceProcess waits for the ready file and reads the ports", "[service]") {
  testing::ServiceProcess service("/bin/sh", {{"FAKE_SETTING", "on"}},
                                  {"-c", kFakeService, "fake", "7101", "7102"});
  CHECK(service.grpc_port() == 7101);
  CHECK(service.http_port() == 7102);
  CHECK(service.ready_info()["service"] == "fake");
  CHECK(service.ready_info()["pid"] == service.pid());
  CHECK(service.running());
  REQUIRE(testing::wait_until([&] {
    auto out = service.output();
    return out.find("starting with FAKE_SETTING=on\n") != std::string::npos &&
           out.find("a warning\n") != std::string::npos;
  }));

  service.kill(SIGTERM);
  CHECK(service.wait() == -SIGTERM);
  CHECK_FALSE(service.running());

  int old_pid = service.pid();
  service.restart();
  CHECK(service.running());
  CHECK(service.pid() != old_pid);
  CHECK(service.ready_info()["pid"] == service.pid());
  CHECK(service.grpc_port() == 7101);
}

TEST_CASE("ServiceProcess reports a service that exits before it is ready", "[service]") {
  try {
    testing::ServiceProcess service(
        "/bin/sh", {}, {"-c", "echo 'loading config'; echo 'postgres.url is required' >&2; exit 2"});
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("sh exited with status 2 before it was ready") &&
                             Catch::Contains("loading config") &&
                             Catch::Contains("postgres.url is required"));
  }
}

TEST_CASE("ServiceProcess reports a binary that does not exist", "[service]") {
  CHECK_THROWS_WITH(testing::ServiceProcess("edfleet-no-such-service", {}),
                    Catch::Contains("edfleet-no-such-service"));
}

TEST_CASE("metric sums the matching series of a registry", "[metrics]") {
  prometheus::Registry registry;
  auto& counters = prometheus::BuildCounter().Name("x_total").Help("x").Register(registry);
  counters.Add({{"group", "a"}, {"kind", "k1"}}).Increment(2);
  counters.Add({{"group", "a"}, {"kind", "k2"}}).Increment(3);
  counters.Add({{"group", "b"}, {"kind", "k1"}}).Increment(5);
  prometheus::BuildGauge().Name("g").Help("g").Register(registry).Add({{"group", "a"}}).Set(4);
  prometheus::BuildHistogram()
      .Name("h_seconds")
      .Help("h")
      .Register(registry)
      .Add({}, prometheus::Histogram::BucketBoundaries{1})
      .Observe(0.5);

  CHECK(testing::metric(registry, "x_total") == 10);
  CHECK(testing::metric(registry, "x_total", {{"group", "a"}}) == 5);
  CHECK(testing::metric(registry, "x_total", {{"group", "a"}, {"kind", "k2"}}) == 3);
  CHECK(testing::metric(registry, "x_total", {{"group", "c"}}) == 0);
  CHECK(testing::metric(registry, "g", {{"group", "a"}}) == 4);
  CHECK(testing::metric(registry, "h_seconds") == 1);  // a histogram's sample count
  CHECK(testing::metric(registry, "absent") == 0);
}

TEST_CASE("metric_in_text and scrape_metric read the Prometheus text format", "[metrics]") {
  const std::string text =
      "# HELP x_total Things.\n"
      "# TYPE x_total counter\n"
      "x_total{outcome=\"accepted\"} 3\n"
      "x_total{outcome=\"rejected\",reason=\"a \\\"quoted\\\" one\"} 10 1700000000000\n"
      "x_total_other{outcome=\"accepted\"} 100\n"
      "h_seconds_count 7\n"
      "h_seconds_bucket{le=\"+Inf\"} 7\n";
  CHECK(testing::metric_in_text(text, "x_total") == 13);
  CHECK(testing::metric_in_text(text, "x_total", {{"outcome", "accepted"}}) == 3);
  CHECK(testing::metric_in_text(text, "x_total", {{"reason", "a \"quoted\" one"}}) == 10);
  CHECK(testing::metric_in_text(text, "h_seconds_count") == 7);
  CHECK(testing::metric_in_text(text, "h_seconds_bucket", {{"le", "+Inf"}}) == 7);
  CHECK(testing::metric_in_text(text, "x") == 0);

  httplib::Server server;
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(text, "text/plain; version=0.0.4");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  REQUIRE(testing::wait_until([&] { return server.is_running(); }));
  CHECK(testing::scrape_metric(port, "x_total", {{"outcome", "accepted"}}) == 3);
  server.stop();
  serving.join();
  CHECK_THROWS_WITH(testing::scrape_metric(port, "x_total"), Catch::Contains(std::to_string(port)));
}

TEST_CASE("read_topic reads what is on a topic of the shared broker", "[kafka]") {
  const std::string topic = "testing.read-topic";
  testing::shared_broker().create_topic(topic, 2);
  edfleet::kafka::ProducerConfig config;
  config.bootstrap_servers = testing::shared_broker().bootstrap_servers();
  edfleet::kafka::Producer producer(config);
  for (const auto& report : producer.produce_and_wait({{topic, "k1", "one", {{"h", "1"}}}, {topic, "k2", "two", {}}},
                                                      std::chrono::seconds(10))) {
    REQUIRE(report.ok);
  }
  const auto records = testing::read_topic(topic);
  REQUIRE(records.size() == 2);
  std::set<std::string> values;
  for (const auto& m : records) values.insert(m.value);
  CHECK(values == std::set<std::string>{"one", "two"});
}
