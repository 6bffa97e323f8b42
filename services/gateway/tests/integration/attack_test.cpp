// The public door, attacked the way an attacker would: through the gateway with real API keys of
// two tenants, and straight at ingest's own ports (HTTP and gRPC) as anything that can reach them
// could. Real edfleet-ingest and edfleet-gateway processes on the test binary's Kafka and Postgres.
// Every attack must fail; each case also checks that the honest request next to it still works,
// so a refusal is not mistaken for a broken service.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "api_key_admin.h"
#include "edfleet/core/base64.h"
#include "edfleet/core/clock.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/ingest/v1/ingest.grpc.pb.h"
#include "edfleet/testing/raw_http.h"
#include "edfleet/testing/testing.h"

using namespace edfleet;
using nlohmann::json;
using testing::RawHttpClient;
using testing::status_line;

namespace {

struct Key {
  std::string id;
  std::string secret;
};

struct Fleet {
  std::map<std::string, Key> keys;
  std::unique_ptr<testing::ServiceProcess> ingest;
  std::unique_ptr<testing::ServiceProcess> gateway;
  // A second gateway with tight per-address limits and few workers, for the exhaustion attacks.
  std::unique_ptr<testing::ServiceProcess> strict_gateway;
};

Fleet& fleet() {
  static Fleet f = [] {
    Fleet out;
    const std::string gateway_db = testing::fresh_database("gateway_attacks");
    gateway::ApiKeyAdmin admin(gateway_db);
    for (const auto& [label, tenant, role] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"alpha_reader", "alpha", "lrs_reader"},
             {"alpha_writer", "alpha", "lrs_writer"},
             {"alpha_admin", "alpha", "admin"},
             {"beta_writer", "beta", "lrs_writer"}}) {
      auto created = admin.create(tenant, label, {role});
      REQUIRE(created.ok());
      out.keys[label] = Key{created->record.id, created->key.substr(created->key.find('.') + 1)};
    }
    out.ingest = std::make_unique<testing::ServiceProcess>(
        "edfleet-ingest", std::map<std::string, std::string>{
                              {"EDFLEET_INGEST_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
                              {"EDFLEET_INGEST_POSTGRES_URL", testing::fresh_database("ingest_attacks")},
                              {"EDFLEET_INGEST_KAFKA_TIMEOUT", "5s"},
                              {"EDFLEET_INGEST_LOG_LEVEL", "warn"}});
    const std::map<std::string, std::string> gateway_env = {
        {"EDFLEET_GATEWAY_LOG_LEVEL", "warn"},
        {"EDFLEET_GATEWAY_POSTGRES_URL", gateway_db},
        {"EDFLEET_GATEWAY_GATEWAY_MIGRATE", "false"},
        {"EDFLEET_GATEWAY_INGEST_HTTP_ADDRESS", "127.0.0.1:" + std::to_string(out.ingest->http_port())},
        {"EDFLEET_GATEWAY_INGEST_ADDRESS", "127.0.0.1:" + std::to_string(out.ingest->grpc_port())}};
    out.gateway = std::make_unique<testing::ServiceProcess>("edfleet-gateway", gateway_env);
    auto strict = gateway_env;
    strict["EDFLEET_GATEWAY_LIMITS_ADDRESS_AUTH_FAILURE_RATE"] = "0.001/3";
    strict["EDFLEET_GATEWAY_LIMITS_ADDRESS_RATE"] = "0.001/40";
    strict["EDFLEET_GATEWAY_HTTP_THREADS"] = "4";
    strict["EDFLEET_GATEWAY_LIMITS_MAX_CONCURRENT_STREAMS"] = "4";
    strict["EDFLEET_GATEWAY_HTTP_MAX_CONNECTIONS_PER_ADDRESS"] = "3";
    strict["EDFLEET_GATEWAY_HTTP_HEADER_TIMEOUT"] = "20s";
    out.strict_gateway = std::make_unique<testing::ServiceProcess>("edfleet-gateway", strict);
    return out;
  }();
  return f;
}

httplib::Client client(int port, const std::string& key_label = "") {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(15));
  if (!key_label.empty()) {
    const auto& key = fleet().keys.at(key_label);
    c.set_basic_auth(key.id.c_str(), key.secret.c_str());
  }
  return c;
}

httplib::Client through_gateway(const std::string& key_label = "") {
  return client(fleet().gateway->http_port(), key_label);
}

// HTTP Basic for a key, as a raw header line.
std::string basic_header(const std::string& key_label) {
  const auto& key = fleet().keys.at(key_label);
  return "Authorization: Basic " + core::base64_encode(key.id + ":" + key.secret) + "\r\n";
}

std::string statement(const std::string& id) {
  return json{{"id", id},
              {"actor", {{"mbox", "mailto:victim@example.com"}}},
              {"verb", {{"id", "http://adlnet.gov/expapi/verbs/completed"}}},
              {"object", {{"id", "https://lms.example.com/course/secret-1"}}}}
      .dump();
}

const httplib::Headers kVersion = {{"X-Experience-API-Version", "1.0.3"}};

// Beta's statement, stored and readable by beta through the gateway: what alpha tries to reach.
const std::string& beta_statement() {
  static const std::string id = [] {
    const std::string statement_id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0dbe7a";
    auto beta = through_gateway("beta_writer");
    auto put = beta.Put(("/xapi/statements?statementId=" + statement_id).c_str(), kVersion, statement(statement_id),
                        "application/json");
    REQUIRE(put);
    REQUIRE(put->status == 204);
    REQUIRE(testing::wait_until([&] {
      auto r = beta.Get(("/xapi/statements?statementId=" + statement_id).c_str(), kVersion);
      return r && r->status == 200;
    }));
    return statement_id;
  }();
  return id;
}

double admin_metric(const testing::ServiceProcess& gateway, const std::string& name,
                    const testing::MetricLabels& labels) {
  return testing::scrape_metric(gateway.metrics_port(), name, labels);
}

}  // namespace

TEST_CASE("attack: an encoded CR LF in a forwarded header cannot claim another tenant", "[security][gateway]") {
  const auto& target = beta_statement();
  const std::string path = "/xapi/statements?statementId=" + target;
  auto alpha = through_gateway("alpha_reader");
  // The honest request: alpha does not see beta's statement.
  auto honest = alpha.Get(path.c_str(), kVersion);
  REQUIRE(honest);
  CHECK(honest->status == 404);
  // The verified attack, in every header the gateway forwards to the LRS.
  for (const char* header : {"Accept", "Accept-Language", "Content-Type", "If-Match", "If-None-Match",
                             "X-Experience-API-Version"}) {
    INFO(header);
    httplib::Headers injected = {{"X-Experience-API-Version", "1.0.3"}};
    injected.erase(header);
    injected.emplace(header, "application/json%0D%0AX-Edfleet-Tenant:%20beta");
    auto attack = alpha.Get(path.c_str(), injected);
    REQUIRE(attack);
    CHECK(attack->status == 400);
    CHECK(attack->body.find(target) == std::string::npos);
    CHECK(attack->body.find("victim@example.com") == std::string::npos);
  }
  // A bare LF, and the encoded NUL, fare no better.
  for (const char* value : {"a%0AX-Edfleet-Tenant:%20beta", "a%00b"}) {
    auto attack = alpha.Get(path.c_str(), {{"X-Experience-API-Version", "1.0.3"}, {"Accept", value}});
    REQUIRE(attack);
    CHECK(attack->status == 400);
  }
  CHECK(admin_metric(*fleet().gateway, "edfleet_http_refusals_total", {{"listener", "http"}, {"reason", "malformed"}}) >= 8);
}

TEST_CASE("attack: a second request smuggled through the public /xapi/about is refused", "[security][gateway]") {
  const auto& target = beta_statement();
  RawHttpClient raw(fleet().gateway->http_port());
  // No credentials at all: /xapi/about is public, so the smuggled request would have been the only
  // authenticated-looking thing on the upstream connection.
  REQUIRE(raw.send("GET /xapi/about HTTP/1.1\r\nHost: x\r\n"
                   "Accept: x%0D%0AContent-Length:%200%0D%0A%0D%0AGET%20/xapi/statements?statementId=" +
                   target + "%20HTTP/1.1%0D%0AX-Edfleet-Tenant:%20beta%0D%0AX-Experience-API-Version:%201.0.3" +
                   "\r\n\r\n"));
  const auto answer = raw.read_response();
  CHECK(status_line(answer) == "HTTP/1.1 400 Bad Request");
  CHECK(answer.find(target) == std::string::npos);
  // And the public resource still answers an honest request.
  auto about = through_gateway().Get("/xapi/about");
  REQUIRE(about);
  CHECK(about->status == 200);
}

TEST_CASE("attack: a read-only key cannot write through the alternate syntax's method", "[security][gateway]") {
  auto reader = through_gateway("alpha_reader");
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0a11";
  const std::string form = "statementId=" + id + "&X-Experience-API-Version=1.0.3&Content-Type=application%2Fjson" +
                           "&content=" + httplib::detail::encode_query_param(statement(id));
  // The verified attack (%u006D is 'm': two methods to ingest), and its cousins.
  for (const char* query : {"%u006Dethod=PUT&method=GET", "method=GET&method=PUT", "method=PUT&m%65thod=GET",
                            "method=GET&%6Dethod=POST"}) {
    INFO(query);
    auto attack = reader.Post(("/xapi/statements?" + std::string(query)).c_str(), form,
                              "application/x-www-form-urlencoded");
    REQUIRE(attack);
    CHECK(attack->status == 403);
    CHECK(json::parse(attack->body)["error"]["code"] == "PERMISSION_DENIED");
  }
  // The honest alternate-syntax read is still a read.
  auto read = reader.Post("/xapi/statements?method=GET", "X-Experience-API-Version=1.0.3&limit=1",
                          "application/x-www-form-urlencoded");
  REQUIRE(read);
  CHECK(read->status == 200);
}

TEST_CASE("attack: ingest's HTTP port believes no unsigned, forged or swapped identity", "[security][ingest]") {
  const auto& target = beta_statement();
  const std::string path = "/xapi/statements?statementId=" + target;
  auto direct = client(fleet().ingest->http_port());
  SECTION("a bare X-Edfleet-Tenant") {
    auto r = direct.Get(path.c_str(), {{"X-Experience-API-Version", "1.0.3"}, {"X-Edfleet-Tenant", "beta"}});
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(r->body.find(target) == std::string::npos);
  }
  SECTION("a signature made with another secret") {
    const identity::IdentitySigner forger(std::string(48, 'x'), core::SystemClock::instance(), std::chrono::seconds(60));
    auto r = direct.Get(path.c_str(), {{"X-Experience-API-Version", "1.0.3"},
                                       {"X-Edfleet-Tenant", "beta"},
                                       {"X-Edfleet-Identity", forger.sign({"beta", "", ""})}});
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("alpha's genuine signature presented with tenant beta") {
    auto r = direct.Get(path.c_str(), {{"X-Experience-API-Version", "1.0.3"},
                                       {"X-Edfleet-Tenant", "beta"},
                                       {"X-Edfleet-Identity", testing::identity_signer().sign({"alpha", "", ""})}});
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("a second tenant header beside a signed one") {
    auto headers = testing::with_identity<httplib::Headers>({"alpha", "", ""}, kVersion);
    headers.emplace("x-edfleet-tenant", "beta");
    auto r = direct.Get(path.c_str(), headers);
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("events for a tenant, unsigned") {
    auto r = direct.Post("/v1/events", {{"X-Edfleet-Tenant", "beta"}}, "[]", "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
    auto none = direct.Post("/v1/events", "[]", "application/json");
    REQUIRE(none);
    CHECK(none->status == 401);
  }
  SECTION("a repeated alternate-syntax method, even signed") {
    auto r = direct.Post("/xapi/statements?%u006Dethod=PUT&method=GET",
                         testing::with_identity<httplib::Headers>({"alpha", "", ""}),
                         "X-Experience-API-Version=1.0.3&content=%7B%7D", "application/x-www-form-urlencoded");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("more than once") != std::string::npos);
  }
  SECTION("the control: beta's own signed identity reads beta's statement") {
    auto r = direct.Get(path.c_str(), testing::with_identity<httplib::Headers>({"beta", "key:x", ""}, kVersion));
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SECTION("ingest's own listener refuses an encoded CR LF too") {
    auto r = direct.Get(path.c_str(), {{"X-Experience-API-Version", "1.0.3%0D%0AX-Edfleet-Tenant:%20beta"}});
    REQUIRE(r);
    CHECK(r->status == 400);
  }
}

TEST_CASE("attack: ingest's gRPC port publishes for no unverified caller", "[security][ingest]") {
  auto stub = ingest::v1::IngestService::NewStub(::grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(fleet().ingest->grpc_port()), ::grpc::InsecureChannelCredentials()));
  const auto publish = [&](const std::function<void(::grpc::ClientContext&)>& decorate) {
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    decorate(context);
    ingest::v1::PublishRequest request;
    ingest::v1::PublishResponse response;
    return stub->Publish(&context, request, &response);
  };
  auto unsigned_tenant = publish([](auto& context) { context.AddMetadata("x-edfleet-tenant", "beta"); });
  CHECK(unsigned_tenant.error_code() == ::grpc::StatusCode::UNAUTHENTICATED);
  CHECK(unsigned_tenant.error_message().find("caller identity refused") != std::string::npos);
  auto nothing = publish([](auto&) {});
  CHECK(nothing.error_code() == ::grpc::StatusCode::UNAUTHENTICATED);
  auto swapped = publish([](auto& context) {
    context.AddMetadata("x-edfleet-tenant", "beta");
    context.AddMetadata("x-edfleet-identity", testing::identity_signer().sign({"alpha", "", ""}));
  });
  CHECK(swapped.error_code() == ::grpc::StatusCode::UNAUTHENTICATED);
  // The control: a signed caller gets past authentication.
  auto signed_caller = publish([](auto& context) {
    edfleet::grpc::set_caller(context, testing::identity_signer(), {"beta", "key:x", ""});
  });
  CHECK(signed_caller.error_code() != ::grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("attack: listener limits refuse before credentials are looked at", "[security][gateway]") {
  const int port = fleet().gateway->http_port();
  {
    RawHttpClient raw(port);  // a petabyte announced, nothing sent: answered at once
    REQUIRE(raw.send("POST /xapi/statements HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\n\r\n"));
    CHECK(status_line(raw.read_until_closed()) == "HTTP/1.1 413 Payload Too Large");
  }
  {
    RawHttpClient raw(port);
    std::string request = "GET /xapi/about HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 150; ++i) request += "X-" + std::to_string(i) + ": 1\r\n";
    REQUIRE(raw.send(request + "\r\n"));
    CHECK(status_line(raw.read_response()) == "HTTP/1.1 431 Request Header Fields Too Large");
  }
  {
    RawHttpClient raw(port);  // framing an upstream could read differently
    REQUIRE(raw.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "0\r\n\r\n"));
    CHECK(status_line(raw.read_response()) == "HTTP/1.1 400 Bad Request");
  }
  CHECK(admin_metric(*fleet().gateway, "edfleet_http_refusals_total", {{"listener", "http"}, {"reason", "body_too_large"}}) >= 1);
  CHECK(admin_metric(*fleet().gateway, "edfleet_http_refusals_total", {{"listener", "http"}, {"reason", "headers_too_large"}}) >= 1);
}

TEST_CASE("attack: operator endpoints are not on the public port; reflection is not routed", "[security][gateway]") {
  auto outside = through_gateway();
  for (const char* path : {"/metrics", "/readyz"}) {
    auto r = outside.Get(path);
    REQUIRE(r);
    CHECK(r->status == 404);
  }
  auto admin_port = client(fleet().gateway->metrics_port());
  auto metrics = admin_port.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->body.find("edfleet_gateway_requests_total") != std::string::npos);
  // gRPC reflection through gRPC-Web, even for an admin key: no route, no service.
  auto admin = through_gateway("alpha_admin");
  const std::string empty_frame("\0\0\0\0\0", 5);
  auto reflection = admin.Post("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", empty_frame,
                               "application/grpc-web+proto");
  REQUIRE(reflection);
  CHECK(reflection->get_header_value("grpc-status") == "12");  // UNIMPLEMENTED
}

TEST_CASE("attack: guessing keys from one address is cut off before the key store", "[security][gateway]") {
  const int port = fleet().strict_gateway->http_port();
  const auto request = [&](const std::string& from, const std::string& authorization) {
    RawHttpClient raw(port, from);
    raw.send("GET /xapi/statements?limit=1 HTTP/1.1\r\nHost: x\r\nX-Experience-API-Version: 1.0.3\r\n" + authorization +
             "\r\n");
    return status_line(raw.read_response());
  };
  // Three unknown keys (each a database lookup) use up 127.0.0.2's allowance of failures...
  for (int i = 0; i < 3; ++i) {
    CHECK(request("127.0.0.2", "Authorization: Basic " +
                                   core::base64_encode("efk_00000000000000" + std::to_string(10 + i) +
                                                                  ":guess") +
                                   "\r\n") == "HTTP/1.1 401 Unauthorized");
  }
  // ...after which the address is refused before its credentials are looked at, even a good one.
  CHECK(request("127.0.0.2", basic_header("alpha_reader")) == "HTTP/1.1 429 Too Many Requests");
  CHECK(admin_metric(*fleet().strict_gateway, "edfleet_gateway_rejections_total",
                     {{"reason", "rate_limited_address_auth_failures"}}) >= 1);
  // Another address is unaffected.
  CHECK(request("127.0.0.3", basic_header("alpha_reader")) == "HTTP/1.1 200 OK");
}

TEST_CASE("attack: idle connections from one address cannot starve the gateway's workers", "[security][gateway]") {
  auto& gateway = *fleet().strict_gateway;
  // The strict gateway has 8 workers; an attacker opens 40 idle connections from 127.0.0.4.
  std::vector<std::unique_ptr<RawHttpClient>> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(std::make_unique<RawHttpClient>(gateway.http_port(), "127.0.0.4"));
  REQUIRE(testing::wait_until([&] {
    return admin_metric(gateway, "edfleet_http_refusals_total", {{"listener", "http"}, {"reason", "connections_per_address"}}) >= 37;
  }));
  // An honest client from elsewhere is served while the attacker holds its three.
  RawHttpClient honest(gateway.http_port(), "127.0.0.1");
  REQUIRE(honest.send("GET /xapi/about HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(status_line(honest.read_response()) == "HTTP/1.1 200 OK");
}

TEST_CASE("attack: a flood from one address is refused before authentication", "[security][gateway]") {
  const int port = fleet().strict_gateway->http_port();
  // limits.address_rate is 0.001/40 here: the 41st request from one address is refused.
  int refused = 0;
  for (int i = 0; i < 45; ++i) {
    RawHttpClient raw(port, "127.0.0.5");
    REQUIRE(raw.send("GET /xapi/about HTTP/1.1\r\nHost: x\r\n\r\n"));
    if (status_line(raw.read_response()) == "HTTP/1.1 429 Too Many Requests") ++refused;
  }
  CHECK(refused == 5);
  RawHttpClient other(port, "127.0.0.6");
  REQUIRE(other.send("GET /xapi/about HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(status_line(other.read_response()) == "HTTP/1.1 200 OK");
}

TEST_CASE("the default limits leave one client issuing requests back to back at full speed", "[gateway]") {
  // What an LMS sync or an xAPI conformance run does: sequential requests, as fast as answers come.
  // The old default (50/s, burst 100) refused this client within its first second.
  auto lms = through_gateway("alpha_reader");
  int refused = 0;
  for (int i = 0; i < 600; ++i) {
    auto r = lms.Get("/xapi/statements?limit=1", kVersion);
    REQUIRE(r);
    if (r->status == 429) ++refused;
  }
  CHECK(refused == 0);
}
