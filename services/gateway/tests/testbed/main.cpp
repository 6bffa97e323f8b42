// edfleet-gateway-testbed: a whole gateway deployment for client tests in other languages (the
// Node suite in tests/client). It starts the embedded Kafka broker and PostgreSQL, the ingest,
// analytics, rules, summaries and notify services, a "demo" upstream whose grpc.health.v1 status
// can be flipped (a long-lived server stream to watch), and edfleet-gateway in front of them,
// configured with API keys for a few tenants, JWT keys (HS256 and RS256 via a JWKS file), tight
// limits for the "tiny" tenant, and a route to an upstream that is down. It then prints ONE JSON
// line with every endpoint and credential, and serves until stdin closes or SIGTERM/SIGINT.
//
// Commands on stdin (one per line; each answered with a JSON line {"ok":true,"command":...}):
//   demo serving | demo not_serving   set the demo upstream's health (what Health/Watch streams)
//   quit                              stop
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "adapters/openssl_secret_source.h"
#include "api_key_admin.h"
#include "edfleet/core/log.h"
#include "edfleet/grpc/server.h"
#include "edfleet/testing/testing.h"
#include "test_keys.h"

namespace {

using namespace edfleet;
namespace t = edfleet::gateway::testing;

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// A loopback port nothing listens on (bound, then released): the "down" upstream.
int closed_port() {
  auto shared = std::make_shared<prometheus::Registry>();
  edfleet::grpc::Server probe(shared);
  int port = probe.start("127.0.0.1", 0);
  probe.shutdown(std::chrono::system_clock::now());
  return port;
}

}  // namespace

int main() {
  // SIGTERM/SIGINT are taken with sigwait by a watcher thread; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  core::log::init("gateway-testbed", env_or("EDFLEET_TESTBED_LOG_LEVEL", "warn"));

  try {
    const std::string log_level = env_or("EDFLEET_TESTBED_SERVICE_LOG_LEVEL", "warn");
    const std::string kafka = testing::shared_broker().bootstrap_servers();
    auto service = [&](const std::string& name, std::map<std::string, std::string> env) {
      std::string prefix = "EDFLEET_";
      for (char c : name) prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      prefix += "_";
      env[prefix + "KAFKA_BOOTSTRAP_SERVERS"] = kafka;
      env[prefix + "LOG_LEVEL"] = log_level;
      // Every service gets its own database, whether or not it keeps state yet.
      env[prefix + "POSTGRES_URL"] = testing::fresh_database(name);
      return std::make_unique<testing::ServiceProcess>("edfleet-" + name, env);
    };
    auto ingest = service("ingest", {});
    auto analytics = service("analytics", {{"EDFLEET_ANALYTICS_MAX_BATCH_WAIT", "5ms"}});
    auto rules = service("rules", {});
    auto summaries = service("summaries", {});
    auto notify = service("notify", {});

    // The demo upstream: only grpc.health.v1, whose status the tests flip.
    auto demo_registry = std::make_shared<prometheus::Registry>();
    edfleet::grpc::Server demo(demo_registry);
    const int demo_port = demo.start("127.0.0.1", 0);
    demo.set_serving(true);
    const int down_port = closed_port();

    // API keys, created before the gateway starts so that their ids can carry per-key limits.
    const std::string gateway_db = testing::fresh_database("gateway");
    gateway::ApiKeyAdmin admin(gateway_db);
    nlohmann::json keys = nlohmann::json::object();
    auto make_key = [&](const std::string& label, const std::string& tenant, std::vector<std::string> roles) {
      auto created = admin.create(tenant, label, roles);
      if (!created) throw std::runtime_error("creating key " + label + ": " + created.error().message);
      keys[label] = {{"id", created->record.id}, {"key", created->key}, {"tenant", tenant}, {"roles", roles}};
      return created->record.id;
    };
    make_key("acme_admin", "acme", {"admin"});
    make_key("acme_service", "acme", {"service"});
    make_key("acme_educator", "acme", {"educator"});
    make_key("acme_learner", "acme", {"learner"});
    make_key("globex_admin", "globex", {"admin"});
    make_key("globex_service", "globex", {"service"});
    make_key("tiny_service", "tiny", {"service"});
    make_key("acme_lrs_writer", "acme", {"lrs_writer"});  // xAPI clients (/xapi/ with HTTP Basic)
    make_key("acme_lrs_reader", "acme", {"lrs_reader"});
    const std::string slow_key = make_key("slow_service", "acme", {"service"});
    const std::string revoked = make_key("revoked", "acme", {"admin"});
    if (!admin.revoke(revoked, "acme")) throw std::runtime_error("revoking the revoked key failed");

    // JWT keys: an HS256 secret and an RSA key published in a JWKS file.
    const std::string hs256_secret = core::base64url_encode(gateway::OpensslSecretSource().random_bytes(32));
    auto rsa = t::generate_rsa();
    const auto dir = std::filesystem::temp_directory_path() / ("edfleet-testbed-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto jwks_path = (dir / "jwks.json").string();
    {
      std::ofstream jwks(jwks_path);
      jwks << nlohmann::json{{"keys", {t::jwk(rsa, "rsa-1")}}}.dump();
    }

    const std::string routes =
        "edfleet.ingest.v1.IngestService=ingest,edfleet.analytics.v1.AnalyticsService=analytics,"
        "edfleet.rules.v1.RulesService=rules,edfleet.summaries.v1.SummariesService=summaries,"
        "edfleet.notify.v1.NotifyService=notify,edfleet.gateway.v1.GatewayAdmin=self,"
        "grpc.health.v1.Health=demo,edfleet.down.v1.DownService=down";
    auto address = [](int port) { return "127.0.0.1:" + std::to_string(port); };
    std::map<std::string, std::string> gateway_env = {
        {"EDFLEET_GATEWAY_POSTGRES_URL", gateway_db},
        {"EDFLEET_GATEWAY_LOG_LEVEL", log_level},
        {"EDFLEET_GATEWAY_INGEST_ADDRESS", address(ingest->grpc_port())},
        {"EDFLEET_GATEWAY_INGEST_HTTP_ADDRESS", address(ingest->http_port())},
        {"EDFLEET_GATEWAY_ANALYTICS_ADDRESS", address(analytics->grpc_port())},
        {"EDFLEET_GATEWAY_RULES_ADDRESS", address(rules->grpc_port())},
        {"EDFLEET_GATEWAY_SUMMARIES_ADDRESS", address(summaries->grpc_port())},
        {"EDFLEET_GATEWAY_NOTIFY_ADDRESS", address(notify->grpc_port())},
        {"EDFLEET_GATEWAY_UPSTREAM_EXTRA", "demo=" + address(demo_port) + ",down=" + address(down_port)},
        {"EDFLEET_GATEWAY_ROUTES", routes},
        {"EDFLEET_GATEWAY_CORS_ALLOWED_ORIGINS", "http://allowed.example"},
        {"EDFLEET_GATEWAY_LIMITS_KEY_RATE", "1000/1000"},
        {"EDFLEET_GATEWAY_LIMITS_TENANT_RATE", "2000/2000"},
        {"EDFLEET_GATEWAY_LIMITS_TENANT_OVERRIDES", "tiny=0.2/3"},
        {"EDFLEET_GATEWAY_LIMITS_KEY_OVERRIDES", slow_key + "=0.2/2"},
        {"EDFLEET_GATEWAY_LIMITS_MAX_CONCURRENT_STREAMS", env_or("EDFLEET_TESTBED_MAX_STREAMS", "24")},
        {"EDFLEET_GATEWAY_HTTP_THREADS", "16"},
        // Short idle timers, so the long-stream test proves they do not cut a live stream.
        {"EDFLEET_GATEWAY_HTTP_READ_TIMEOUT", "1s"},
        {"EDFLEET_GATEWAY_HTTP_WRITE_TIMEOUT", "1s"},
        {"EDFLEET_GATEWAY_HTTP_KEEP_ALIVE_TIMEOUT", "1s"},
        {"EDFLEET_GATEWAY_AUTH_KEY_CACHE_TTL", "500ms"},
        {"EDFLEET_GATEWAY_GRPC_WEB_MAX_MESSAGE_BYTES", "65536"},
        {"EDFLEET_GATEWAY_JWT_ISSUER", "https://id.edfleet.test"},
        {"EDFLEET_GATEWAY_JWT_AUDIENCE", "edfleet"},
        {"EDFLEET_GATEWAY_JWT_HS256_SECRETS", "hs-1=" + hs256_secret},
        {"EDFLEET_GATEWAY_JWT_JWKS_FILE", jwks_path},
    };
    testing::ServiceProcess gateway("edfleet-gateway", gateway_env);

    nlohmann::json info = {
        {"gateway", {{"http", "http://" + address(gateway.http_port())},
                     {"grpc", address(gateway.grpc_port())},
                     {"admin", "http://" + address(gateway.metrics_port())}}},
        {"upstreams",
         {{"ingest", address(ingest->grpc_port())},
          {"ingest_http", address(ingest->http_port())},
          {"analytics", address(analytics->grpc_port())},
          {"demo", address(demo_port)},
          {"down", address(down_port)}}},
        {"keys", keys},
        {"limits", {{"tiny_tenant", "0.2/3"}, {"slow_key", "0.2/2"},
                    {"max_streams", std::stoi(gateway_env["EDFLEET_GATEWAY_LIMITS_MAX_CONCURRENT_STREAMS"])},
                    {"max_message_bytes", 65536}}},
        {"cors", {{"allowed_origin", "http://allowed.example"}}},
        {"jwt",
         {{"issuer", "https://id.edfleet.test"},
          {"audience", "edfleet"},
          {"hs256", {{"kid", "hs-1"}, {"secret", hs256_secret}}},
          {"rs256", {{"kid", "rsa-1"}, {"private_pem", t::private_pem(rsa)}, {"public_pem", t::public_pem(rsa)}}}}},
    };
    std::cout << info.dump() << std::endl;

    // Stop on SIGTERM/SIGINT as on end of input.
    std::atomic<bool> stop{false};
    std::thread watcher([&] {
      int signal_number = 0;
      sigwait(&stop_signals, &signal_number);
      stop = true;
      ::close(STDIN_FILENO);
    });
    watcher.detach();
    std::string line;
    while (!stop && std::getline(std::cin, line)) {
      nlohmann::json answer = {{"command", line}, {"ok", true}};
      if (line == "demo serving") {
        demo.set_serving(true);
      } else if (line == "demo not_serving") {
        demo.set_serving(false);
      } else if (line == "quit") {
        std::cout << answer.dump() << std::endl;
        break;
      } else if (!line.empty()) {
        answer["ok"] = false;
        answer["error"] = "unknown command";
      }
      std::cout << answer.dump() << std::endl;
    }
    gateway.kill(SIGTERM);
    gateway.wait_for(std::chrono::seconds(10));
    demo.shutdown(std::chrono::system_clock::now());
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  } catch (const std::exception& e) {
    std::cerr << "edfleet-gateway-testbed: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
