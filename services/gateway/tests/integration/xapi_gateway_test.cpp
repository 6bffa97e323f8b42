// The xAPI LRS through the gateway, end to end: the built edfleet-ingest and edfleet-gateway against
// the test binary's embedded Kafka and Postgres, API keys created in the gateway's database. xAPI
// clients authenticate with HTTP Basic (key id : secret); the gateway checks roles (reading vs
// writing), sets the tenant and principal ingest derives `authority` from, and forwards every /xapi/
// path, method, query string, body and xAPI header. A second gateway in front of a fake ingest (an
// in-process HTTP server that reports what it received and can hold requests) checks exactly what
// crosses the gateway and the concurrency limit.
#include <catch2/catch.hpp>

#include <cctype>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "api_key_admin.h"
#include "edfleet/core/base64.h"
#include "edfleet/core/hash.h"
#include "edfleet/testing/testing.h"
#include "test_keys.h"

using namespace edfleet;
using nlohmann::json;

namespace {

struct Key {
  std::string id;
  std::string secret;
  std::string whole;  // efk_<id>.<secret>
};

struct Deployment {
  std::map<std::string, Key> keys;
  std::unique_ptr<testing::ServiceProcess> ingest;
  std::unique_ptr<testing::ServiceProcess> gateway;
};

// One ingest and one gateway for the whole binary; keys exist before the gateway starts so that one
// of them can carry a per-key rate limit.
Deployment& deployment() {
  static Deployment d = [] {
    Deployment out;
    const std::string gateway_db = testing::fresh_database("gateway_xapi");
    gateway::ApiKeyAdmin admin(gateway_db);
    auto make = [&](const std::string& label, const std::string& tenant, std::vector<std::string> roles) {
      auto created = admin.create(tenant, label, roles);
      REQUIRE(created.ok());
      const auto dot = created->key.find('.');
      out.keys[label] = Key{created->record.id, created->key.substr(dot + 1), created->key};
    };
    make("alpha_writer", "alpha", {"lrs_writer"});
    make("alpha_reader", "alpha", {"lrs_reader"});
    make("alpha_learner", "alpha", {"learner"});
    make("beta_writer", "beta", {"lrs_writer"});
    make("paging", "paging", {"service"});
    make("limited", "limited", {"lrs_writer"});
    out.ingest = std::make_unique<testing::ServiceProcess>(
        "edfleet-ingest", std::map<std::string, std::string>{
                              {"EDFLEET_INGEST_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers()},
                              {"EDFLEET_INGEST_POSTGRES_URL", testing::fresh_database("ingest_xapi_gateway")},
                              {"EDFLEET_INGEST_KAFKA_TIMEOUT", "5s"},
                              {"EDFLEET_INGEST_LOG_LEVEL", "warn"}});
    out.gateway = std::make_unique<testing::ServiceProcess>(
        "edfleet-gateway",
        std::map<std::string, std::string>{
            {"EDFLEET_GATEWAY_LOG_LEVEL", "warn"},
            {"EDFLEET_GATEWAY_POSTGRES_URL", gateway_db},
            {"EDFLEET_GATEWAY_INGEST_HTTP_ADDRESS", "127.0.0.1:" + std::to_string(out.ingest->http_port())},
            {"EDFLEET_GATEWAY_CORS_ALLOWED_ORIGINS", "https://player.example.com"},
            {"EDFLEET_GATEWAY_LIMITS_KEY_RATE", "1000/1000"},
            {"EDFLEET_GATEWAY_LIMITS_TENANT_RATE", "1000/1000"},
            {"EDFLEET_GATEWAY_LIMITS_KEY_OVERRIDES", out.keys["limited"].id + "=0.01/2"}});
    return out;
  }();
  return d;
}

httplib::Client client(const std::string& key_label = "") {
  httplib::Client c("127.0.0.1", deployment().gateway->http_port());
  c.set_read_timeout(std::chrono::seconds(15));
  if (!key_label.empty()) {
    const auto& key = deployment().keys.at(key_label);
    c.set_basic_auth(key.id.c_str(), key.secret.c_str());
  }
  return c;
}

const httplib::Headers kVersion = {{"X-Experience-API-Version", "1.0.3"}};

// A minimal valid statement: `email` completed the algebra course (with `id` when given).
std::string statement(const std::string& id = "", const std::string& email = "ada@example.com") {
  json s = {{"actor", {{"mbox", "mailto:" + email}, {"name", "Ada"}}},
            {"verb", {{"id", "http://adlnet.gov/expapi/verbs/completed"}, {"display", {{"en-US", "completed"}}}}},
            {"object", {{"id", "https://lms.example.com/course/algebra-1"}}}};
  if (!id.empty()) s["id"] = id;
  return s.dump();
}

json error_of(const httplib::Result& r) { return json::parse(r->body)["error"]; }

// GET /xapi/statements?<query> until it answers `status` (the materialiser is asynchronous).
bool eventually_status(httplib::Client& c, const std::string& query, int status) {
  return testing::wait_until([&] {
    auto r = c.Get(("/xapi/statements?" + query).c_str(), kVersion);
    return r && r->status == status;
  });
}

// Percent-encodes a query or form value (httplib's own encoder).
std::string form_encode(const std::string& text) { return httplib::detail::encode_query_param(text); }

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) body += (body.empty() ? "" : "&") + name + "=" + form_encode(value);
  return body;
}

}  // namespace

TEST_CASE("/xapi/about answers without credentials through the gateway", "[xapi][gateway]") {
  auto c = client();
  auto r = c.Get("/xapi/about");
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["version"] == json::array({"1.0.3", "2.0.0"}));
  auto head = c.Head("/xapi/about");
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
  auto post = c.Post("/xapi/about", "{}", "application/json");
  REQUIRE(post);
  CHECK(post->status == 405);  // ingest's answer, passed through
}

TEST_CASE("missing or wrong credentials: 401 with WWW-Authenticate Basic", "[xapi][gateway]") {
  auto none = client().Post("/xapi/statements", kVersion, statement(), "application/json");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->get_header_value("WWW-Authenticate").find("Basic realm=") != std::string::npos);
  CHECK(none->get_header_value("X-Experience-API-Version") == "1.0.3");
  CHECK(error_of(none)["code"] == "UNAUTHENTICATED");

  auto c = client();
  c.set_basic_auth(deployment().keys.at("alpha_writer").id.c_str(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  auto wrong = c.Get("/xapi/statements", kVersion);
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(wrong->has_header("WWW-Authenticate"));
  auto garbage = client().Get("/xapi/statements", {{"X-Experience-API-Version", "1.0.3"}, {"Authorization", "Basic !!"}});
  REQUIRE(garbage);
  CHECK(garbage->status == 401);
}

TEST_CASE("statements PUT, POST, GET and HEAD with a Basic API key; authority from the key", "[xapi][gateway]") {
  auto c = client("alpha_writer");
  const auto& key = deployment().keys.at("alpha_writer");
  const std::string put_id = "7d1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e01";
  // A client claiming another tenant is ignored: the tenant comes from the key only.
  httplib::Headers claims = {{"X-Experience-API-Version", "2.0.0"}, {"X-Edfleet-Tenant", "beta"},
                             {"X-Edfleet-Principal", "someone-else"}};
  auto put = c.Put(("/xapi/statements?statementId=" + put_id).c_str(), claims, statement(), "application/json");
  REQUIRE(put);
  INFO(put->body);
  CHECK(put->status == 204);
  CHECK(put->get_header_value("X-Experience-API-Version") == "2.0.0");
  CHECK(put->has_header("X-Experience-API-Consistent-Through"));

  auto post = c.Post("/xapi/statements", kVersion, "[" + statement() + "," + statement("", "bob@example.com") + "]",
                     "application/json");
  REQUIRE(post);
  REQUIRE(post->status == 200);
  const json ids = json::parse(post->body);
  REQUIRE(ids.size() == 2);
  CHECK(post->get_header_value("X-Experience-API-Version") == "1.0.3");
  CHECK(post->get_header_value("Content-Type").find("application/json") == 0);

  REQUIRE(eventually_status(c, "statementId=" + put_id, 200));
  auto get = c.Get(("/xapi/statements?statementId=" + put_id).c_str(), kVersion);
  REQUIRE(get);
  const json stored = json::parse(get->body);
  CHECK(stored["id"] == put_id);
  CHECK(stored["authority"]["account"]["name"] == "key:" + key.id);
  CHECK(stored["authority"]["account"]["homePage"].get<std::string>().find("alpha") != std::string::npos);
  CHECK(get->has_header("Last-Modified"));
  CHECK(get->has_header("X-Experience-API-Consistent-Through"));

  auto head = c.Head(("/xapi/statements?statementId=" + put_id).c_str(), kVersion);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
  CHECK(head->has_header("X-Experience-API-Consistent-Through"));
  CHECK(head->get_header_value("Content-Length") == std::to_string(get->body.size()));  // what GET would send

  // The same statement again: no change; other content under the id: ingest's 409, passed through.
  auto conflict = c.Put(("/xapi/statements?statementId=" + put_id).c_str(), kVersion,
                        statement(put_id, "eve@example.com"), "application/json");
  REQUIRE(conflict);
  CHECK(conflict->status == 409);
  CHECK(error_of(conflict)["message"].get<std::string>().find(put_id) != std::string::npos);

  // The whole key as the Basic password works as well as id:secret.
  auto whole = client();
  whole.set_basic_auth("", key.whole.c_str());
  auto again = whole.Get(("/xapi/statements?statementId=" + put_id).c_str(), kVersion);
  REQUIRE(again);
  CHECK(again->status == 200);
}

TEST_CASE("a tenant never sees another tenant's statements", "[xapi][gateway]") {
  auto alpha = client("alpha_writer");
  const std::string id = "7d1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e02";
  auto put = alpha.Put(("/xapi/statements?statementId=" + id).c_str(), kVersion, statement(), "application/json");
  REQUIRE(put);
  REQUIRE(put->status == 204);
  REQUIRE(eventually_status(alpha, "statementId=" + id, 200));

  auto beta = client("beta_writer");
  auto by_id = beta.Get(("/xapi/statements?statementId=" + id).c_str(), kVersion);
  REQUIRE(by_id);
  CHECK(by_id->status == 404);
  // Claiming alpha's tenant in a header changes nothing.
  auto claimed = beta.Get(("/xapi/statements?statementId=" + id).c_str(),
                          {{"X-Experience-API-Version", "1.0.3"}, {"X-Edfleet-Tenant", "alpha"}});
  REQUIRE(claimed);
  CHECK(claimed->status == 404);
  auto query = beta.Get("/xapi/statements", kVersion);
  REQUIRE(query);
  REQUIRE(query->status == 200);
  for (const auto& s : json::parse(query->body)["statements"]) CHECK(s["id"] != id);
  // Beta may store a statement under the same id: ids are per tenant.
  auto own = beta.Put(("/xapi/statements?statementId=" + id).c_str(), kVersion, statement("", "zed@example.com"),
                      "application/json");
  REQUIRE(own);
  CHECK(own->status == 204);
}

TEST_CASE("roles: a read-only key cannot write (403 naming the role), a learner key cannot read",
          "[xapi][gateway]") {
  auto reader = client("alpha_reader");
  auto post = reader.Post("/xapi/statements", kVersion, statement(), "application/json");
  REQUIRE(post);
  CHECK(post->status == 403);
  const json error = error_of(post);
  CHECK(error["code"] == "PERMISSION_DENIED");
  CHECK(error["message"].get<std::string>().find("write to the LRS") != std::string::npos);
  CHECK(error["message"].get<std::string>().find("lrs_writer") != std::string::npos);
  const auto needed = error["needed_roles"].get<std::vector<std::string>>();
  CHECK(std::find(needed.begin(), needed.end(), "lrs_writer") != needed.end());
  CHECK(std::find(needed.begin(), needed.end(), "lrs_reader") == needed.end());
  for (const char* method : {"PUT", "DELETE"}) {
    INFO(method);
    httplib::Request req;
    req.method = method;
    req.path = "/xapi/statements?statementId=7d1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e03";
    req.headers = kVersion;
    req.set_header("Content-Type", "application/json");
    req.body = statement();
    auto r = reader.send(req);
    REQUIRE(r);
    CHECK(r->status == 403);
  }
  auto read = reader.Get("/xapi/statements", kVersion);
  REQUIRE(read);
  CHECK(read->status == 200);

  auto learner = client("alpha_learner").Get("/xapi/statements", kVersion);
  REQUIRE(learner);
  CHECK(learner->status == 403);
  CHECK(error_of(learner)["message"].get<std::string>().find("lrs_reader") != std::string::npos);
}

TEST_CASE("more links page through the gateway unchanged", "[xapi][gateway]") {
  auto c = client("paging");
  std::set<std::string> posted;
  std::string batch = "[";
  for (int i = 0; i < 5; ++i) batch += (i > 0 ? "," : "") + statement("", "p" + std::to_string(i) + "@example.com");
  batch += "]";
  auto post = c.Post("/xapi/statements", kVersion, batch, "application/json");
  REQUIRE(post);
  REQUIRE(post->status == 200);
  for (const auto& id : json::parse(post->body)) posted.insert(id.get<std::string>());
  REQUIRE(testing::wait_until([&] {
    auto r = c.Get("/xapi/statements?limit=0", kVersion);
    return r && r->status == 200 && json::parse(r->body)["statements"].size() == posted.size();
  }));

  std::set<std::string> seen;
  auto first = c.Get("/xapi/statements?limit=2", kVersion);
  REQUIRE(first);
  REQUIRE(first->status == 200);
  json page = json::parse(first->body);
  int pages = 1;
  while (true) {
    CHECK(page["statements"].size() <= 2);
    for (const auto& s : page["statements"]) seen.insert(s["id"].get<std::string>());
    const std::string more = page["more"].get<std::string>();
    if (more.empty()) break;
    CHECK(more.rfind("/xapi/statements?more=", 0) == 0);
    auto next = c.Get(more.c_str(), kVersion);  // the link as given, against the gateway
    REQUIRE(next);
    INFO(next->body);
    REQUIRE(next->status == 200);
    page = json::parse(next->body);
    REQUIRE(++pages <= 5);
  }
  CHECK(pages == 3);
  CHECK(seen == posted);
}

TEST_CASE("the alternate syntax: POST ?method=GET, credentials in the form or the header", "[xapi][gateway]") {
  auto writer = client("alpha_writer");
  const std::string id = "7d1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e04";
  const auto& key = deployment().keys.at("alpha_writer");
  const std::string basic = "Basic " + core::base64_encode(key.id + ":" + key.secret);
  // PUT through the alternate syntax, the credentials only in the form.
  auto put = client().Post("/xapi/statements?method=PUT", {},
                           form({{"X-Experience-API-Version", "1.0.3"}, {"Authorization", basic},
                                 {"Content-Type", "application/json"}, {"statementId", id}, {"content", statement()}}),
                           "application/x-www-form-urlencoded");
  REQUIRE(put);
  INFO(put->body);
  CHECK(put->status == 204);
  REQUIRE(eventually_status(writer, "statementId=" + id, 200));

  auto read = client().Post("/xapi/statements?method=GET", {},
                            form({{"X-Experience-API-Version", "1.0.3"}, {"Authorization", basic}, {"statementId", id}}),
                            "application/x-www-form-urlencoded");
  REQUIRE(read);
  CHECK(read->status == 200);
  CHECK(json::parse(read->body)["id"] == id);
  CHECK(json::parse(read->body)["authority"]["account"]["name"] == "key:" + key.id);

  // A read-only key may read this way, but not write.
  auto reader = client("alpha_reader");
  auto reader_get = reader.Post("/xapi/statements?method=GET", {},
                                form({{"X-Experience-API-Version", "1.0.3"}, {"statementId", id}}),
                                "application/x-www-form-urlencoded");
  REQUIRE(reader_get);
  CHECK(reader_get->status == 200);
  auto reader_put = reader.Post("/xapi/statements?method=PUT", {},
                                form({{"X-Experience-API-Version", "1.0.3"}, {"Content-Type", "application/json"},
                                      {"statementId", id}, {"content", statement()}}),
                                "application/x-www-form-urlencoded");
  REQUIRE(reader_put);
  CHECK(reader_put->status == 403);
}

TEST_CASE("CORS for browser xAPI clients", "[xapi][gateway]") {
  auto c = client();
  auto preflight = c.Options("/xapi/statements", {{"Origin", "https://player.example.com"},
                                                  {"Access-Control-Request-Method", "PUT"},
                                                  {"Access-Control-Request-Headers",
                                                   "authorization, content-type, x-experience-api-version"}});
  REQUIRE(preflight);
  CHECK(preflight->status == 204);
  CHECK(preflight->get_header_value("Access-Control-Allow-Origin") == "https://player.example.com");
  CHECK(preflight->get_header_value("Access-Control-Allow-Methods").find("PUT") != std::string::npos);
  CHECK(preflight->get_header_value("Access-Control-Allow-Headers").find("x-experience-api-version") !=
        std::string::npos);
  auto other = c.Options("/xapi/statements", {{"Origin", "https://evil.example.com"},
                                              {"Access-Control-Request-Method", "GET"}});
  REQUIRE(other);
  CHECK(other->status == 403);

  auto actual = client("alpha_reader").Get("/xapi/statements?limit=1",
                                           {{"X-Experience-API-Version", "1.0.3"}, {"Origin", "https://player.example.com"}});
  REQUIRE(actual);
  CHECK(actual->status == 200);
  CHECK(actual->get_header_value("Access-Control-Allow-Origin") == "https://player.example.com");
  const auto exposed = actual->get_header_value("Access-Control-Expose-Headers");
  CHECK(exposed.find("x-experience-api-version") != std::string::npos);
  CHECK(exposed.find("x-experience-api-consistent-through") != std::string::npos);
  CHECK(exposed.find("etag") != std::string::npos);
}

TEST_CASE("rate limits per key apply to the LRS: 429 with Retry-After", "[xapi][gateway]") {
  auto c = client("limited");  // 2 requests of burst, then about one per 100 s
  int refused = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = c.Get("/xapi/statements", kVersion);
    REQUIRE(r);
    if (r->status == 429) {
      ++refused;
      CHECK(r->has_header("Retry-After"));
      CHECK(error_of(r)["code"] == "RESOURCE_EXHAUSTED");
    } else {
      CHECK(r->status == 200);
    }
  }
  CHECK(refused == 1);
}

TEST_CASE("statements with attachments go through as multipart/mixed, both ways", "[xapi][gateway]") {
  auto c = client("alpha_writer");
  const std::string id = "7d1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e05";
  const std::string data = "my essay, in plain text: \x01 binary too";
  json s = json::parse(statement(id));
  s["attachments"] = json::array({{{"usageType", "http://example.com/attachment-usage/essay"},
                                   {"display", {{"en-US", "Essay"}}},
                                   {"contentType", "text/plain"},
                                   {"length", data.size()},
                                   {"sha2", core::sha256_hex(data)}}});
  const std::string boundary = "gw-boundary-0123";
  const std::string body = "--" + boundary + "\r\nContent-Type: application/json\r\n\r\n" + s.dump() + "\r\n--" +
                           boundary + "\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n" +
                           "X-Experience-API-Hash: " + core::sha256_hex(data) + "\r\n\r\n" + data + "\r\n--" +
                           boundary + "--";
  auto post = c.Post("/xapi/statements", kVersion, body, "multipart/mixed; boundary=" + boundary);
  REQUIRE(post);
  INFO(post->body);
  REQUIRE(post->status == 200);
  CHECK(json::parse(post->body) == json::array({id}));

  REQUIRE(eventually_status(c, "statementId=" + id, 200));
  auto get = c.Get(("/xapi/statements?attachments=true&statementId=" + id).c_str(), kVersion);
  REQUIRE(get);
  REQUIRE(get->status == 200);
  CHECK(get->get_header_value("Content-Type").rfind("multipart/mixed; boundary=", 0) == 0);
  CHECK(get->body.find(data) != std::string::npos);
  CHECK(get->body.find(core::sha256_hex(data)) != std::string::npos);
}

TEST_CASE("State documents through the gateway: PUT, GET with ETag, If-Match, DELETE, per tenant",
          "[xapi][gateway]") {
  auto writer = client("alpha_writer");
  const std::string doc = "/xapi/activities/state?activityId=" + form_encode("https://lms.example.com/course/algebra-1") +
                          "&agent=" + form_encode(R"({"mbox":"mailto:ada@example.com"})") + "&stateId=bookmark";
  const std::string content = R"({"page":7,"note":"halfway"})";
  auto put = writer.Put(doc.c_str(), kVersion, content, "application/json");
  REQUIRE(put);
  INFO(put->body);
  CHECK(put->status == 204);

  auto get = writer.Get(doc.c_str(), kVersion);
  REQUIRE(get);
  REQUIRE(get->status == 200);
  CHECK(json::parse(get->body) == json::parse(content));
  const std::string etag = get->get_header_value("ETag");
  CHECK_FALSE(etag.empty());

  // Concurrency headers reach ingest: a stale If-Match is 412, the current one succeeds.
  auto stale = writer.Put(doc.c_str(), {{"X-Experience-API-Version", "1.0.3"}, {"If-Match", "\"0000\""}},
                          R"({"page":8})", "application/json");
  REQUIRE(stale);
  CHECK(stale->status == 412);
  auto current = writer.Put(doc.c_str(), {{"X-Experience-API-Version", "1.0.3"}, {"If-Match", etag}},
                            R"({"page":8})", "application/json");
  REQUIRE(current);
  CHECK(current->status == 204);

  // Another tenant does not see it; a read-only key reads but cannot write or delete.
  auto beta = client("beta_writer").Get(doc.c_str(), kVersion);
  REQUIRE(beta);
  CHECK(beta->status == 404);
  auto reader = client("alpha_reader");
  auto read = reader.Get(doc.c_str(), kVersion);
  REQUIRE(read);
  CHECK(read->status == 200);
  CHECK(json::parse(read->body)["page"] == 8);
  auto reader_delete = reader.Delete(doc.c_str(), kVersion);
  REQUIRE(reader_delete);
  CHECK(reader_delete->status == 403);

  auto del = writer.Delete(doc.c_str(), kVersion);
  REQUIRE(del);
  CHECK(del->status == 204);
  auto gone = writer.Get(doc.c_str(), kVersion);
  REQUIRE(gone);
  CHECK(gone->status == 404);
}

namespace {

const std::string kJwtSecret = "xapi-gateway-test-secret-0123456789abcdef";

std::string jwt(const std::string& tenant, const std::string& roles) {
  nlohmann::json claims = {{"iss", "it"}, {"aud", "edfleet"}, {"sub", "player-7"}, {"tenant", tenant}, {"roles", {roles}},
                           {"exp", std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count() + 600}};
  return gateway::testing::make_jwt({{"alg", "HS256"}}, claims,
                                    [](const std::string& in) { return gateway::testing::sign_hs256(kJwtSecret, in); });
}

// An in-process stand-in for ingest's HTTP port: answers every /xapi/ request with a JSON report of
// what it received (method, target, headers, body) and a few headers of its own. Requests to
// /xapi/hold wait until release() (for the concurrency limit).
struct FakeIngest {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mutex;
  int holding = 0;
  std::promise<void> released;
  std::shared_future<void> release_signal = released.get_future().share();

  FakeIngest() {
    auto report = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.path == "/xapi/hold") {
        {
          std::lock_guard lock(mutex);
          ++holding;
        }
        release_signal.wait_for(std::chrono::seconds(20));
      }
      json headers = json::object();
      for (const auto& [name, value] : req.headers) headers[to_lower(name)] = value;
      json body = {{"method", req.method}, {"target", req.target}, {"headers", headers},
                   {"body", core::base64_encode(req.body)}};
      res.status = req.method == "DELETE" ? 204 : 200;
      res.set_header("ETag", "\"abc\"");
      res.set_header("Last-Modified", "Wed, 25 Nov 2026 03:00:00 GMT");
      res.set_header("X-Experience-API-Version", "1.0.3");
      res.set_header("X-Experience-API-Consistent-Through", "2026-11-25T03:00:00Z");
      res.set_header("Set-Cookie", "upstream=1");
      res.set_header("X-Internal-Detail", "secret");
      if (req.method != "DELETE") res.set_content(body.dump(), "application/json");
    };
    const std::string all = R"(/xapi/.*)";
    server.Get(all, report);
    server.Post(all, report);
    server.Put(all, report);
    server.Delete(all, report);
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~FakeIngest() {
    released.set_value();
    server.stop();
    thread.join();
  }
  int held() {
    std::lock_guard lock(mutex);
    return holding;
  }
  static std::string to_lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }
};

struct FakeFixture {
  FakeIngest ingest;
  testing::ServiceProcess gateway{
      "edfleet-gateway",
      {{"EDFLEET_GATEWAY_LOG_LEVEL", "warn"},
       {"EDFLEET_GATEWAY_INGEST_HTTP_ADDRESS", "127.0.0.1:" + std::to_string(ingest.port)},
       {"EDFLEET_GATEWAY_JWT_ISSUER", "it"},
       {"EDFLEET_GATEWAY_JWT_AUDIENCE", "edfleet"},
       {"EDFLEET_GATEWAY_JWT_HS256_SECRETS", "k=" + kJwtSecret},
       {"EDFLEET_GATEWAY_LIMITS_MAX_CONCURRENT_STREAMS", "1"}}};

  httplib::Client client() {
    httplib::Client c("127.0.0.1", gateway.http_port());
    c.set_read_timeout(std::chrono::seconds(20));
    c.set_url_encode(false);  // send targets exactly as written
    return c;
  }
};

}  // namespace

TEST_CASE("what crosses the gateway: target, body and xAPI headers in; xAPI headers out", "[xapi][gateway]") {
  FakeFixture f;
  auto c = f.client();
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string target =
      "/xapi/activities/state?activityId=http%3A%2F%2Fx.example%2Fa&stateId=s+1&agent=%7B%22mbox%22%3A1%7D";
  const std::string body = std::string("--xyz\r\nContent-Type: application/json\r\n\r\n{}\r\n--xyz\r\n\x00\x01\xff", 55) +
                           "\r\n--xyz--\r\n";
  httplib::Headers headers = {{"Authorization", "Bearer " + jwt("acme", "lrs_writer")},
                              {"X-Experience-API-Version", "1.0.3"},
                              {"If-Match", "\"abc\""},
                              {"If-None-Match", "*"},
                              {"Accept-Language", "en-US"},
                              {"X-Edfleet-Tenant", "evil"},
                              {"X-Edfleet-Roles", "admin"},
                              {"Cookie", "session=1"},
                              {"X-Forwarded-For", "10.0.0.1"},
                              {"X-Custom", "nope"},
                              {"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}};
  auto r = c.Put(target.c_str(), headers, body, "multipart/mixed; boundary=xyz");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  const json seen = json::parse(r->body);
  CHECK(seen["method"] == "PUT");
  CHECK(seen["target"] == target);  // byte for byte: '+' and %-escapes untouched
  CHECK(core::base64_decode(seen["body"].get<std::string>()) == body);
  const json& h = seen["headers"];
  CHECK(h["content-type"] == "multipart/mixed; boundary=xyz");
  CHECK(h["x-experience-api-version"] == "1.0.3");
  CHECK(h["if-match"] == "\"abc\"");
  CHECK(h["if-none-match"] == "*");
  CHECK(h["accept-language"] == "en-US");
  CHECK(h["x-edfleet-tenant"] == "acme");
  CHECK(h["x-edfleet-principal"] == "jwt:player-7");
  CHECK(h["x-edfleet-roles"] == "lrs_writer");
  CHECK(h["traceparent"].get<std::string>().find(trace) != std::string::npos);
  for (const char* dropped : {"authorization", "cookie", "x-forwarded-for", "x-custom"}) {
    INFO(dropped);
    CHECK_FALSE(h.contains(dropped));
  }
  // Back: the xAPI headers, not the upstream's other ones.
  CHECK(r->get_header_value("ETag") == "\"abc\"");
  CHECK(r->get_header_value("Last-Modified") == "Wed, 25 Nov 2026 03:00:00 GMT");
  CHECK(r->get_header_value("X-Experience-API-Consistent-Through") == "2026-11-25T03:00:00Z");
  CHECK(r->get_header_value("X-Experience-API-Version") == "1.0.3");
  CHECK(r->get_header_value_count("X-Experience-API-Version") == 1);
  CHECK(r->get_header_value("X-Edfleet-Trace-Id") == trace);
  CHECK_FALSE(r->has_header("Set-Cookie"));
  CHECK_FALSE(r->has_header("X-Internal-Detail"));

  // DELETE keeps its method and status; /xapi/about goes without identity even if the client claims one.
  auto del = c.Delete("/xapi/activities/state?stateId=s", headers);
  REQUIRE(del);
  CHECK(del->status == 204);
  auto about = c.Get("/xapi/about", {{"X-Edfleet-Tenant", "evil"}});
  REQUIRE(about);
  REQUIRE(about->status == 200);
  CHECK_FALSE(json::parse(about->body)["headers"].contains("x-edfleet-tenant"));

  // Dot segments could name another ingest route than the one authorized: refused.
  for (const char* sneaky : {"/xapi/../v1/events", "/xapi/%2e%2e/v1/events", "/xapi/./statements"}) {
    INFO(sneaky);
    auto refused = c.Get(sneaky, headers);
    REQUIRE(refused);
    CHECK(refused->status == 400);
    CHECK(error_of(refused)["code"] == "INVALID_ARGUMENT");
  }

  // The alternate syntax's Authorization form field authenticates and does not reach ingest.
  const std::string form_body = form({{"X-Experience-API-Version", "1.0.3"},
                                      {"Authorization", "Bearer " + jwt("acme", "lrs_reader")},
                                      {"statementId", "x"}});
  auto alternate = c.Post("/xapi/statements?method=GET", form_body, "application/x-www-form-urlencoded");
  REQUIRE(alternate);
  REQUIRE(alternate->status == 200);
  const json forwarded = json::parse(alternate->body);
  CHECK(forwarded["headers"]["x-edfleet-tenant"] == "acme");
  CHECK(core::base64_decode(forwarded["body"].get<std::string>()) ==
        form({{"X-Experience-API-Version", "1.0.3"}, {"statementId", "x"}}));
}

TEST_CASE("forwarded xAPI requests share the gateway's concurrency limit: 429 + Retry-After", "[xapi][gateway]") {
  FakeFixture f;  // limits.max_concurrent_streams = 1
  const httplib::Headers headers = {{"Authorization", "Bearer " + jwt("acme", "lrs_reader")},
                                    {"X-Experience-API-Version", "1.0.3"}};
  auto held = std::async(std::launch::async, [&] { return f.client().Get("/xapi/hold", headers); });
  REQUIRE(testing::wait_until([&] { return f.ingest.held() == 1; }));
  auto refused = f.client().Get("/xapi/statements", headers);
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(refused->get_header_value("Retry-After") == "1");
  CHECK(error_of(refused)["code"] == "RESOURCE_EXHAUSTED");
  f.ingest.released.set_value();
  auto first = held.get();
  REQUIRE(first);
  CHECK(first->status == 200);
  // The slot is free again.
  auto after = f.client().Get("/xapi/statements", headers);
  REQUIRE(after);
  CHECK(after->status == 200);
  f.ingest.released = std::promise<void>();  // the destructor releases once more
}
