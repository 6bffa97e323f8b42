#include "edfleet/metrics/http_server.h"

#include <algorithm>
#include <cstdio>

#include <catch2/catch.hpp>
#include <prometheus/counter.h>

using edfleet::metrics::HttpServer;

namespace {

std::shared_ptr<prometheus::Registry> registry_with_counter(double value) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter()
                     .Name("edfleet_test_things_total")
                     .Help("Things counted by the test.")
                     .Register(*registry);
  family.Add({{"kind", "widget"}}).Increment(value);
  return registry;
}

}  // namespace

TEST_CASE("HttpServer serves the registry on /metrics in the Prometheus text format") {
  HttpServer server("127.0.0.1", 0, registry_with_counter(3));
  int port = server.start();
  REQUIRE(port > 0);
  CHECK(server.port() == port);

  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == edfleet::metrics::kPrometheusContentType);
  CHECK(res->body.find("# TYPE edfleet_test_things_total counter") != std::string::npos);
  CHECK(res->body.find("edfleet_test_things_total{kind=\"widget\"} 3") != std::string::npos);
  server.stop();
}

TEST_CASE("HttpServer answers /healthz and routes added before start") {
  HttpServer server("127.0.0.1", 0, std::make_shared<prometheus::Registry>());
  server.routes().Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hi", "text/plain");
  });
  server.routes().Get("/boom", [](const httplib::Request&, httplib::Response&) {
    throw std::runtime_error("route failed");
  });
  int port = server.start();

  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok");

  auto hello = client.Get("/hello");
  REQUIRE(hello);
  CHECK(hello->body == "hi");

  auto boom = client.Get("/boom");
  REQUIRE(boom);
  CHECK(boom->status == 500);

  auto missing = client.Get("/nope");
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

TEST_CASE("HttpServer stop closes the port and is idempotent") {
  HttpServer server("127.0.0.1", 0, std::make_shared<prometheus::Registry>());
  int port = server.start();
  server.stop();
  server.stop();

  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(2));
  auto res = client.Get("/healthz");
  CHECK_FALSE(res);
}

TEST_CASE("HttpServer stop without start is harmless; start twice is an error") {
  HttpServer idle("127.0.0.1", 0, std::make_shared<prometheus::Registry>());
  idle.stop();

  HttpServer server("127.0.0.1", 0, std::make_shared<prometheus::Registry>());
  server.start();
  CHECK_THROWS_AS(server.start(), std::runtime_error);
}

TEST_CASE("HttpServer refuses a port that is already taken") {
  HttpServer first("127.0.0.1", 0, std::make_shared<prometheus::Registry>());
  int port = first.start();
  HttpServer second("127.0.0.1", port, std::make_shared<prometheus::Registry>());
  CHECK_THROWS_AS(second.start(), std::runtime_error);
}

TEST_CASE("HttpServer queues bursts of connections: the kernel reports the raised listen backlog") {
  HttpServer server("127.0.0.1", 0, std::make_shared<prometheus::Registry>());
  CHECK(server.listen_backlog() == 0);
  server.start();
  // The kernel caps the backlog at net.core.somaxconn; httplib alone would leave it at 5.
  int somaxconn = HttpServer::kListenBacklog;
  if (std::FILE* f = std::fopen("/proc/sys/net/core/somaxconn", "r")) {
    if (std::fscanf(f, "%d", &somaxconn) != 1) somaxconn = HttpServer::kListenBacklog;
    std::fclose(f);
  }
  CHECK(server.listen_backlog() == std::min(HttpServer::kListenBacklog, somaxconn));
  CHECK(server.listen_backlog() > 5);
  server.stop();
}

TEST_CASE("HttpServer counts what its listener refused, by listener; a public one serves no /metrics") {
  auto registry = std::make_shared<prometheus::Registry>();
  HttpServer public_server("127.0.0.1", 0, registry, /*serve_metrics=*/false, "http");
  HttpServer admin_server("127.0.0.1", 0, registry, /*serve_metrics=*/true, "admin");
  const int public_port = public_server.start();
  const int admin_port = admin_server.start();

  httplib::Client outside("127.0.0.1", public_port);
  auto hidden = outside.Get("/metrics");
  REQUIRE(hidden);
  CHECK(hidden->status == 404);
  // httplib's client sends the value as written; the listener decodes it to a CR LF and refuses.
  auto injected = outside.Get("/healthz", {{"Accept", "a%0D%0AX-Injected:%201"}});
  REQUIRE(injected);
  CHECK(injected->status == 400);

  httplib::Client inside("127.0.0.1", admin_port);
  auto metrics = inside.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("edfleet_http_refusals_total{listener=\"http\",reason=\"malformed\"} 1") != std::string::npos);
  CHECK(metrics->body.find("edfleet_http_refusals_total{listener=\"admin\",reason=\"malformed\"} 0") != std::string::npos);
  admin_server.stop();
  public_server.stop();
}
