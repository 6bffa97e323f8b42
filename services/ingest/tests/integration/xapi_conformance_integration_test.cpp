// The conformance-style suite at the HTTP level, written from the xAPI Communication part (1.0.3 and 2.0):
// the status of every kind of error (400 per parameter, 401, 404, 405, 409, 413), the version header
// rules (3.3), X-Experience-API-Consistent-Through (2.1.3) and Last-Modified. The built edfleet-ingest
// runs against the test binary's embedded Kafka and Postgres, as in xapi_integration_test.cpp. Each
// table row names the section it comes from.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/core/hash.h"
#include "edfleet/core/time_format.h"
#include "edfleet/testing/testing.h"
#include "xapi_http_test_support.h"

using namespace edfleet;
using namespace edfleet::ingest::xapi_test;
using nlohmann::json;

namespace {

// One ingest process for the whole binary.
testing::ServiceProcess& ingest() {
  static auto process = ingest::xapi_test::start_ingest("ingest_xapi_conformance",
                                                {{"EDFLEET_INGEST_XAPI_MAX_BATCH_STATEMENTS", "10"},
                                                 {"EDFLEET_INGEST_XAPI_MAX_STATEMENT_BYTES", "4096"},
                                                 {"EDFLEET_INGEST_XAPI_BASIC_CREDENTIALS", "conf-key=conf-basic:pw"}});
  return *process;
}

httplib::Client client() { return ingest::xapi_test::http_client(ingest().http_port()); }

json statement(const std::string& id = "") {
  json s = json::parse(R"({"actor": {"mbox": "mailto:ada@example.com", "name": "Ada"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"id": "https://lms.example.com/course/algebra-1"},
    "result": {"duration": "PT1M30.5S"},
    "timestamp": "2026-11-25T09:30:00.000Z"})");
  if (!id.empty()) s["id"] = id;
  return s;
}

// Every Statements response carries the version in use and a Consistent-Through in ISO 8601 (2.1.3, 3.3).
void check_statement_headers(const httplib::Result& r, const std::string& version = "1.0.3") {
  CHECK(r->get_header_value("X-Experience-API-Version") == version);
  const auto through = r->get_header_value("X-Experience-API-Consistent-Through");
  INFO("Consistent-Through: " << through);
  CHECK(core::parse_rfc3339(through).has_value());
}

httplib::Result post(httplib::Client& c, const std::string& tenant, const std::string& body,
                     const std::string& version = "1.0.3") {
  return c.Post("/xapi/statements", xapi_headers(tenant, version), body, "application/json");
}

httplib::Result put(httplib::Client& c, const std::string& tenant, const std::string& id, const std::string& body,
                    const std::string& version = "1.0.3") {
  return c.Put(("/xapi/statements?statementId=" + id).c_str(), xapi_headers(tenant, version), body, "application/json");
}

httplib::Result get(httplib::Client& c, const std::string& tenant, const std::string& query,
                    const std::string& version = "1.0.3") {
  return c.Get(("/xapi/statements" + (query.empty() ? std::string() : "?" + query)).c_str(), xapi_headers(tenant, version));
}

// Waits until GET ?`query` answers `status` (the materialiser is asynchronous).
bool eventually(httplib::Client& c, const std::string& tenant, const std::string& query, int status) {
  return testing::wait_until([&] {
    auto r = get(c, tenant, query, "2.0.0");
    return r && r->status == status;
  });
}

const std::string kId1 = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e01";
const std::string kId2 = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e02";

}  // namespace

TEST_CASE("Communication 3.2: every GET parameter error is 400 naming the parameter", "[xapi][conformance][integration]") {
  struct Row {
    const char* section;
    std::string query;
    const char* field;
    const char* version = "1.0.3";
  };
  const std::vector<Row> rows = {
      {"3.2 unknown parameter", "color=red", "color"},
      {"3.2 a parameter in the wrong case", "statementID=" + kId1, "statementID"},
      {"3.2 a parameter in the wrong case", "Verb=" + url_encoded("http://x.com/v"), "Verb"},
      {"2.1.3 statementId and voidedStatementId together", "statementId=" + kId1 + "&voidedStatementId=" + kId2,
       "voidedStatementId"},
      {"2.1.3 statementId with another parameter", "statementId=" + kId1 + "&limit=1", "limit"},
      {"2.1.3 voidedStatementId with another parameter", "voidedStatementId=" + kId1 + "&ascending=true", "ascending"},
      {"2.2 statementId is a UUID", "statementId=12", "statementId"},
      {"2.2 voidedStatementId is a UUID", "voidedStatementId=abc", "voidedStatementId"},
      {"2.1.3 agent is an Agent as JSON", "agent=ada", "agent"},
      {"2.1.3 agent follows the Agent rules (one IFI)",
       "agent=" + url_encoded(R"({"mbox": "mailto:a@x.com", "openid": "http://x.com/a"})"), "agent"},
      {"2.1.3 verb is an IRI", "verb=completed", "verb"},
      {"2.1.3 activity is an IRI", "activity=algebra", "activity"},
      {"2.1.3 registration is a UUID", "registration=session-1", "registration"},
      {"2.1.3 since is a timestamp", "since=yesterday", "since"},
      {"2.1.3 until is a timestamp", "until=2026-13-01T00:00:00Z", "until"},
      {"2.1.3 (2.0) since is RFC 3339 with a zone", "since=2026-11-25T09:30:00", "since", "2.0.0"},
      {"2.1.3 limit is a non-negative integer", "limit=ten", "limit"},
      {"2.1.3 limit is a non-negative integer", "limit=-1", "limit"},
      {"2.1.3 format is ids, exact or canonical", "format=full", "format"},
      {"2.1.3 ascending is a boolean", "ascending=1", "ascending"},
      {"2.1.3 related_agents is a boolean", "related_agents=yes", "related_agents"},
      {"2.1.3 related_activities is a boolean", "related_activities=TRUE", "related_activities"},
      {"2.1.3 more is a cursor the LRS gave", "more=0123", "more"},
  };
  auto c = client();
  for (const auto& row : rows) {
    auto r = get(c, "conf-params", row.query, row.version);
    REQUIRE(r);
    INFO(row.section << ": ?" << row.query << " -> " << r->status << " " << r->body);
    CHECK(r->status == 400);
    CHECK(error_of(r).value("field", "") == row.field);
    CHECK_FALSE(error_of(r).value("message", "").empty());
    check_statement_headers(r, row.version[0] == '2' ? "2.0.0" : "1.0.3");
  }
}

TEST_CASE("Communication 2.1.1/2.1.2: write errors are 400 and say what and where", "[xapi][conformance][integration]") {
  auto c = client();
  struct Row {
    const char* section;
    std::function<httplib::Result()> send;
    const char* field;  // "" when the error is about the body as a whole
    const char* says;   // part of the message
  };
  json other = statement(kId2);
  const std::vector<Row> rows = {
      {"2.1.1 PUT needs statementId",
       [&] { return c.Put("/xapi/statements", xapi_headers("conf-write"), statement().dump(), "application/json"); },
       "statementId", "statementId"},
      {"2.1.1 statementId is a UUID", [&] { return put(c, "conf-write", "42", statement().dump()); }, "statementId",
       "UUID"},
      {"3.2 a parameter in the wrong case on PUT",
       [&] {
         return c.Put(("/xapi/statements?statementID=" + kId1).c_str(), xapi_headers("conf-write"), statement().dump(),
                      "application/json");
       },
       "statementID", "did you mean \"statementId\""},
      {"3.2 an unknown parameter on PUT",
       [&] {
         return c.Put(("/xapi/statements?statementId=" + kId1 + "&color=red").c_str(), xapi_headers("conf-write"),
                      statement().dump(), "application/json");
       },
       "color", "Unknown parameter"},
      {"3.2 POST takes no parameters (statementId belongs to PUT)",
       [&] {
         return c.Post(("/xapi/statements?statementId=" + kId1).c_str(), xapi_headers("conf-write"), statement().dump(),
                       "application/json");
       },
       "statementId", "Unknown parameter"},
      {"3.2 the agent parameter is JSON without duplicate keys",
       [&] {
         return c.Get("/xapi/statements?agent=%7B%22mbox%22%3A%22mailto%3Aa%40x.com%22%2C%22mbox%22%3A%22mailto%3Ab%40x.com%22%7D",
                      xapi_headers("conf-write"));
       },
       "agent", "more than once"},
      {"2.1.1 the id matches statementId", [&] { return put(c, "conf-write", kId1, other.dump()); }, "id",
       "must match"},
      {"Data 2.2 each property once (duplicate key)",
       [&] {
         return post(c, "conf-write", R"({"actor": {"mbox": "mailto:a@x.com"}, "verb": {"id": "http://x.com/v"},
                                          "object": {"id": "http://x.com/o"}, "verb": {"id": "http://x.com/w"}})");
       },
       "verb", "more than once"},
      {"Data 2.2 each property once (nested duplicate key)",
       [&] {
         return post(c, "conf-write", R"([{"actor": {"mbox": "mailto:a@x.com", "mbox": "mailto:b@x.com"},
                                           "verb": {"id": "http://x.com/v"}, "object": {"id": "http://x.com/o"}}])");
       },
       "[0].actor.mbox", "\"mbox\""},
      {"3.2 malformed JSON", [&] { return post(c, "conf-write", R"({"actor": )"); }, "", "not valid JSON"},
      {"3.2 the content type matches the content",
       [&] { return c.Post("/xapi/statements", xapi_headers("conf-write"), statement().dump(), "text/plain"); },
       "Content-Type", "application/json"},
      {"Data 2.2 a statement is an object", [&] { return post(c, "conf-write", "42"); }, "", "statement"},
      {"2.1.2 duplicate ids in a batch",
       [&] { return post(c, "conf-write", json::array({statement(kId1), statement(kId1)}).dump()); }, "[1].id",
       "more than once"},
      {"3.2 one invalid statement rejects the batch",
       [&] {
         json bad = statement();
         bad["actor"]["mbox"] = "ada@example.com";
         return post(c, "conf-write", json::array({statement(), bad}).dump());
       },
       "[1].actor.mbox", "mailto"},
      {"Data 2.4.10 (1.0.3) version must start with 1.0.",
       [&] {
         json s = statement();
         s["version"] = "2.0.0";
         return post(c, "conf-write", s.dump());
       },
       "version", "1.0"},
      {"Data 4.5 (2.0) timestamps need a zone",
       [&] {
         json s = statement();
         s["timestamp"] = "2026-11-25T09:30:00";
         return post(c, "conf-write", s.dump(), "2.0.0");
       },
       "timestamp", "RFC 3339"},
  };
  for (const auto& row : rows) {
    auto r = row.send();
    REQUIRE(r);
    INFO(row.section << " -> " << r->status << " " << r->body);
    CHECK(r->status == 400);
    CHECK(error_of(r).value("field", "") == row.field);
    CHECK(error_of(r).value("message", "").find(row.says) != std::string::npos);
    CHECK(r->has_header("X-Experience-API-Consistent-Through"));
  }
  // Nothing of a refused request was stored.
  auto none = get(c, "conf-write", "");
  REQUIRE(none);
  CHECK(json::parse(none->body)["statements"].empty());
}

TEST_CASE("Communication 3.3: the version header on every request and response", "[xapi][conformance][integration]") {
  auto c = client();
  struct Row {
    const char* section;
    const char* version;  // "" = no header
    int status;
    const char* answered;
  };
  const std::vector<Row> rows = {
      // Refusals of requests without a version this LRS speaks name 1.0.3, which 1.0.3 and 2.0 clients
      // both accept (xapi_http.h, kVersionForUnversionedRequests).
      {"3.3 a request without the header is rejected", "", 400, "1.0.3"},
      {"3.3 versions before 1.0.0 are rejected", "0.95", 400, "1.0.3"},
      {"3.3 versions 1.1.0 and later are rejected", "1.1.0", 400, "1.0.3"},
      {"3.3 versions 1.1.0 and later are rejected", "3.0.0", 400, "1.0.3"},
      {"3.3 garbage is rejected", "latest", 400, "1.0.3"},
      {"3.3 1.0 is taken as 1.0.0", "1.0", 200, "1.0.3"},
      {"3.3 any 1.0.x is accepted, answered with the latest patch", "1.0.1", 200, "1.0.3"},
      {"3.3 1.0.3", "1.0.3", 200, "1.0.3"},
      {"3.3 (2.0) 2.0.0", "2.0.0", 200, "2.0.0"},
  };
  for (const auto& row : rows) {
    auto r = get(c, "conf-version", "limit=1", row.version);
    REQUIRE(r);
    INFO(row.section << " (" << row.version << ") -> " << r->status << " " << r->body);
    CHECK(r->status == row.status);
    CHECK(r->get_header_value("X-Experience-API-Version") == row.answered);
    if (row.status == 400) {
      CHECK(error_of(r).value("field", "") == "X-Experience-API-Version");
    }
  }
  // About needs neither the header nor credentials and lists the versions (2.8).
  auto about = c.Get("/xapi/about");
  REQUIRE(about);
  CHECK(about->status == 200);
  CHECK(about->has_header("X-Experience-API-Version"));
  const json versions = json::parse(about->body)["version"];
  CHECK(std::find(versions.begin(), versions.end(), "1.0.3") != versions.end());
  CHECK(std::find(versions.begin(), versions.end(), "2.0.0") != versions.end());
}

TEST_CASE("Communication 3.2: 401 for missing or refused credentials", "[xapi][conformance][integration]") {
  const httplib::Headers version = {{"X-Experience-API-Version", "1.0.3"}};
  struct Row {
    const char* section;
    std::optional<std::string> authorization;
  };
  const std::vector<Row> rows = {
      {"3.2 no credentials", std::nullopt},
      {"3.2 refused password", "Basic " + std::string("Y29uZi1rZXk6d3Jvbmc=")},  // conf-key:wrong
      {"3.2 unknown user", "Basic " + std::string("bm9ib2R5OnB3")},              // nobody:pw
      {"3.2 not base64", std::string("Basic !!!")},
      {"3.2 another scheme", std::string("Bearer abc")},
  };
  auto c = client();
  for (const auto& row : rows) {
    httplib::Headers h = version;
    if (row.authorization) h.emplace("Authorization", *row.authorization);
    auto r = c.Post("/xapi/statements", h, statement().dump(), "application/json");
    REQUIRE(r);
    INFO(row.section << " -> " << r->status << " " << r->body);
    CHECK(r->status == 401);
    CHECK(r->has_header("WWW-Authenticate"));
    CHECK(r->has_header("X-Experience-API-Version"));
    CHECK(r->has_header("X-Experience-API-Consistent-Through"));
  }
  httplib::Headers ok = version;
  ok.emplace("Authorization", "Basic Y29uZi1rZXk6cHc=");  // conf-key:pw
  auto r = c.Post("/xapi/statements", ok, statement().dump(), "application/json");
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 200);
}

TEST_CASE("Communication 3.2: 405 for methods a resource does not have", "[xapi][conformance][integration]") {
  auto c = client();
  const auto h = xapi_headers("conf-method");
  std::vector<std::pair<const char*, httplib::Result>> rows;
  rows.emplace_back("DELETE /xapi/statements", c.Delete("/xapi/statements", h));
  rows.emplace_back("PATCH /xapi/statements", c.Patch("/xapi/statements", h, "{}", "application/json"));
  rows.emplace_back("POST /xapi/about", c.Post("/xapi/about", h, "{}", "application/json"));
  rows.emplace_back("PUT /xapi/about", c.Put("/xapi/about", h, "{}", "application/json"));
  rows.emplace_back("DELETE /xapi/about", c.Delete("/xapi/about", h));
  rows.emplace_back("POST ?method=GET&method=PUT (repeated)",
                    c.Post("/xapi/statements?method=GET&method=PUT", h, "", "application/x-www-form-urlencoded"));
  for (auto& [what, r] : rows) {
    REQUIRE(r);
    INFO(what << " -> " << r->status << " " << r->body);
    CHECK(r->status == (std::string(what).find("repeated") != std::string::npos ? 400 : 405));
    if (r->status == 405) CHECK(r->has_header("Allow"));
    // Communication 3.3: the version header on every response, these refusals too.
    CHECK(r->get_header_value("X-Experience-API-Version") == "1.0.3");
  }
}

TEST_CASE("Communication 3.2: 413 for batches and statements over the limits", "[xapi][conformance][integration]") {
  auto c = client();
  auto batch = post(c, "conf-limits", json(std::vector<json>(11, statement())).dump());
  REQUIRE(batch);
  INFO(batch->body);
  CHECK(batch->status == 413);
  CHECK(error_of(batch).value("message", "").find("10") != std::string::npos);
  json big = statement();
  big["result"]["response"] = std::string(5000, 'x');
  auto one = post(c, "conf-limits", big.dump());
  REQUIRE(one);
  INFO(one->body);
  CHECK(one->status == 413);
  check_statement_headers(one);
  auto within = post(c, "conf-limits", json(std::vector<json>(10, statement())).dump());
  REQUIRE(within);
  CHECK(within->status == 200);
}

TEST_CASE("Communication 2.1.1/2.1.2 and Data 2.3.1: same id, equal content by the comparison rules, no change; "
          "other content 409",
          "[xapi][conformance][integration]") {
  auto c = client();
  const std::string id = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e10";
  auto first = put(c, "conf-compare", id, statement(id).dump());
  REQUIRE(first);
  INFO(first->body);
  REQUIRE(first->status == 204);
  check_statement_headers(first);

  struct Row {
    const char* section;
    std::function<void(json&)> change;
    int put_status;   // PUT answers 204 for no change
    int post_status;  // POST answers 200
  };
  const std::vector<Row> rows = {
      {"the same statement again", [](json&) {}, 204, 200},
      {"Data 2.3.1 timestamp in another zone, same instant",
       [](json& s) { s["timestamp"] = "2026-11-25T10:30:00+01:00"; }, 204, 200},
      {"Data 4.6 duration beyond 0.01 s", [](json& s) { s["result"]["duration"] = "PT1M30.504S"; }, 204, 200},
      {"Data 2.3.1 upper-case id", [&](json& s) {
         std::string upper = id;
         for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
         s["id"] = upper;
       }, 204, 200},
      {"Data 2.3.1 mbox scheme and domain case", [](json& s) { s["actor"]["mbox"] = "MAILTO:ada@Example.COM"; }, 204,
       200},
      {"Data 2.3.1 verb display is not part of the statement", [](json& s) { s["verb"]["display"] = {{"fr", "fini"}}; },
       204, 200},
      {"Data 2.3.1 authority/stored/version are the LRS's",
       [](json& s) {
         s["stored"] = "2020-01-01T00:00:00Z";
         s["version"] = "1.0.0";
       },
       204, 200},
      {"Data 2.3.1 another duration is other content", [](json& s) { s["result"]["duration"] = "PT90.5S"; }, 409, 409},
      {"Data 2.3.1 another instant is other content",
       [](json& s) { s["timestamp"] = "2026-11-25T09:30:00.001Z"; }, 409, 409},
      {"Data 2.3.1 the mbox local part is case-sensitive", [](json& s) { s["actor"]["mbox"] = "mailto:Ada@example.com"; },
       409, 409},
  };
  for (const auto& row : rows) {
    json s = statement(id);
    row.change(s);
    INFO(row.section << ": " << s.dump());
    auto by_put = put(c, "conf-compare", id, s.dump());
    REQUIRE(by_put);
    INFO("PUT -> " << by_put->status << " " << by_put->body);
    CHECK(by_put->status == row.put_status);
    check_statement_headers(by_put);
    auto by_post = post(c, "conf-compare", s.dump());
    REQUIRE(by_post);
    INFO("POST -> " << by_post->status << " " << by_post->body);
    CHECK(by_post->status == row.post_status);
    if (row.post_status == 409) {
      // The field names the id: "id" for one statement ("[i].id" in a batch).
      CHECK(error_of(by_post).value("field", "") == "id");
      CHECK(error_of(by_post).value("message", "").find(id) != std::string::npos);
    }
  }
}

TEST_CASE("Communication 2.1.3: 404, Last-Modified and Consistent-Through on reads", "[xapi][conformance][integration]") {
  auto c = client();
  const std::string id = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e20";
  const std::string voiding = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e21";
  auto unknown = get(c, "conf-read", "statementId=" + id);
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  check_statement_headers(unknown);

  // What the client says of stored and authority is validated, then replaced (Data 2.4.8, 2.4.9).
  json sent = statement(id);
  sent["stored"] = "2001-01-01T00:00:00Z";
  sent["authority"] = {{"objectType", "Agent"}, {"mbox", "mailto:impostor@example.com"}};
  auto stored = post(c, "conf-read", sent.dump(), "2.0.0");
  REQUIRE(stored);
  REQUIRE(stored->status == 200);
  REQUIRE(eventually(c, "conf-read", "statementId=" + id, 200));
  auto r = get(c, "conf-read", "statementId=" + id, "2.0.0");
  REQUIRE(r);
  check_statement_headers(r, "2.0.0");
  const json s = json::parse(r->body);
  // Last-Modified is the statement's stored time (to the second, as HTTP dates are).
  const auto stored_at = core::parse_rfc3339(s["stored"].get<std::string>());
  REQUIRE(stored_at);
  const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(*stored_at));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char expected[64];
  std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  CHECK(r->get_header_value("Last-Modified") == expected);
  // The LRS sets stored, authority and version (Data 2.4.8-2.4.10).
  CHECK(s["authority"]["account"]["name"] == "key-1");
  CHECK_FALSE(s["authority"].contains("mbox"));
  CHECK(s["stored"] != "2001-01-01T00:00:00Z");
  CHECK(s["version"] == "2.0.0");
  // Consistent-Through reaches the statement's stored time once it is materialised.
  CHECK(testing::wait_until([&] {
    auto again = get(c, "conf-read", "statementId=" + id, "2.0.0");
    if (!again) return false;
    const auto through = core::parse_rfc3339(again->get_header_value("X-Experience-API-Consistent-Through"));
    return through && *through >= *stored_at;
  }));
  auto query = get(c, "conf-read", "verb=" + url_encoded("http://adlnet.gov/expapi/verbs/completed"), "2.0.0");
  REQUIRE(query);
  CHECK(query->status == 200);
  CHECK(query->get_header_value("Last-Modified") == expected);
  check_statement_headers(query, "2.0.0");

  // Voided: 404 by statementId, 200 by voidedStatementId (2.1.4).
  json v = json::parse(R"({"actor": {"mbox": "mailto:admin@example.com"},
      "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}, "object": {"objectType": "StatementRef"}})");
  v["id"] = voiding;
  v["object"]["id"] = id;
  auto voided = post(c, "conf-read", v.dump(), "2.0.0");
  REQUIRE(voided);
  REQUIRE(voided->status == 200);
  REQUIRE(eventually(c, "conf-read", "statementId=" + id, 404));
  auto by_voided = get(c, "conf-read", "voidedStatementId=" + id, "2.0.0");
  REQUIRE(by_voided);
  CHECK(by_voided->status == 200);
  auto wrong_way = get(c, "conf-read", "voidedStatementId=" + voiding, "2.0.0");
  REQUIRE(wrong_way);
  CHECK(wrong_way->status == 404);

  // HEAD answers as GET would, without a body (Communication 1.1).
  for (const auto& [head_query, status] : std::vector<std::pair<std::string, int>>{
           {"voidedStatementId=" + id, 200}, {"statementId=" + id, 404}, {"statementId=nope", 400}}) {
    auto head = c.Head(("/xapi/statements?" + head_query).c_str(), xapi_headers("conf-read", "2.0.0"));
    REQUIRE(head);
    INFO("HEAD ?" << head_query);
    CHECK(head->status == status);
    CHECK(head->body.empty());
    check_statement_headers(head, "2.0.0");
  }
}

namespace {

// application/x-www-form-urlencoded fields, values URL-encoded.
std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) body += (body.empty() ? "" : "&") + name + "=" + url_encoded(value);
  return body;
}

// An HTTP-date (RFC 7231) of `t`, to the second.
std::string http_date_of(core::Timestamp t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  return std::string(text, std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm));
}

std::string utc_now() {
  return core::format_rfc3339(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

}  // namespace

TEST_CASE("Communication 3.3: the version a refusal names when the request names none", "[xapi][conformance][integration]") {
  auto c = client();
  // A request naming a version this LRS speaks gets that version back, also on a 401 (found before the
  // version is checked); without one (or an unsupported one) 1.0.3.
  httplib::Headers no_credentials = {{"X-Experience-API-Version", "2.0.0"}};
  auto unauthenticated = c.Get("/xapi/statements", no_credentials);
  REQUIRE(unauthenticated);
  CHECK(unauthenticated->status == 401);
  CHECK(unauthenticated->get_header_value("X-Experience-API-Version") == "2.0.0");
  auto without = c.Get("/xapi/statements", xapi_headers("conf-version-answer", ""));
  REQUIRE(without);
  CHECK(without->status == 400);
  CHECK(without->get_header_value("X-Experience-API-Version") == "1.0.3");
  auto garbage = c.Get("/xapi/statements", xapi_headers("conf-version-answer", "latest"));
  REQUIRE(garbage);
  CHECK(garbage->status == 400);
  CHECK(garbage->get_header_value("X-Experience-API-Version") == "1.0.3");
  auto v1 = c.Get("/xapi/statements", xapi_headers("conf-version-answer", "1.0.1"));
  REQUIRE(v1);
  CHECK(v1->get_header_value("X-Experience-API-Version") == "1.0.3");
}

TEST_CASE("Communication 1.3: a PUT in the alternate request syntax answers 204", "[xapi][conformance][integration]") {
  auto c = client();
  struct Row {
    const char* variant;
    std::vector<std::pair<std::string, std::string>> headers_in_form;  // besides statementId and content
    std::string outer_content_type;
  };
  const std::vector<Row> rows = {
      {"content type of the content in the form", {{"X-Experience-API-Version", "1.0.3"}, {"Content-Type", "application/json"}},
       "application/x-www-form-urlencoded"},
      {"no Content-Type field (the content is a statement: JSON)", {{"X-Experience-API-Version", "1.0.3"}},
       "application/x-www-form-urlencoded"},
      {"charset on both content types",
       {{"X-Experience-API-Version", "1.0.3"}, {"Content-Type", "application/json; charset=utf-8"}},
       "application/x-www-form-urlencoded; charset=UTF-8"},
  };
  int n = 0;
  for (const auto& row : rows) {
    const std::string id = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e3" + std::to_string(n++);
    auto fields = row.headers_in_form;
    fields.emplace_back("statementId", id);
    const std::string content = statement().dump();
    fields.emplace_back("content", content);
    fields.emplace_back("Content-Length", std::to_string(content.size()));
    auto r = c.Post("/xapi/statements?method=PUT", edfleet::testing::with_identity<httplib::Headers>({"conf-alt", "key-1", ""}),
                    form(fields), row.outer_content_type);
    REQUIRE(r);
    INFO(row.variant << " -> " << r->status << " " << r->body);
    CHECK(r->status == 204);
    CHECK(r->body.empty());
    check_statement_headers(r);
    CHECK(eventually(c, "conf-alt", "statementId=" + id, 200));
  }
}

TEST_CASE("Communication 1.5.2 / Data 2.4.11: statements with raw attachments as multipart/mixed",
          "[xapi][conformance][integration]") {
  auto c = client();
  // Binary data as a client that read a file as Latin-1 text sends it: re-encoded as UTF-8 on the wire,
  // with the file's size as `length` and the SHA-2 of what it sends (the external suite's JPEG case).
  std::string file;
  for (int byte = 0; byte < 256; ++byte) file.push_back(static_cast<char>(byte));
  std::string as_sent;
  for (const unsigned char byte : file) {
    if (byte < 0x80) {
      as_sent.push_back(static_cast<char>(byte));
    } else {
      as_sent.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      as_sent.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  struct Row {
    const char* variant;
    std::string boundary;       // as in the Content-Type header
    std::string raw_boundary;   // as in the body
    std::string first_line;     // before the first delimiter
    std::string after_close;    // after the close delimiter
    std::string hash_header;    // its name as written
    std::string part_type;
    std::string data;
    std::size_t declared_length;
  };
  const std::string text = "here is a simple attachment";
  const std::vector<Row> rows = {
      {"the spec's example (Communication 1.5.2): quoted boundary, CRLF before the first delimiter",
       "\"abcABC0123'()+_,-./:=?\"", "abcABC0123'()+_,-./:=?", "\r\n", "", "X-Experience-API-Hash", "text/plain", text,
       text.size()},
      {"an unquoted boundary starting with dashes, a CRLF after the close delimiter",
       "-------314159265358979323846", "-------314159265358979323846", "", "\r\n", "X-Experience-API-Hash",
       "text/plain", text, text.size()},
      {"header names in another case", "xapi-boundary", "xapi-boundary", "", "", "x-experience-api-hash", "text/plain",
       text, text.size()},
      {"binary data whose declared length is the size before encoding", "-------314159265358979323846",
       "-------314159265358979323846", "", "\r\n", "X-Experience-API-Hash", "image/jpeg", as_sent, file.size()},
  };
  int n = 0;
  for (const auto& row : rows) {
    const std::string id = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e4" + std::to_string(n++);
    const std::string sha2 = core::sha256_hex(row.data);
    json s = statement(id);
    s["attachments"] = json::array({{{"usageType", "http://example.com/attachment-usage/test"},
                                     {"display", {{"en-US", "A test attachment"}}},
                                     {"contentType", row.part_type == "text/plain" ? "text/plain; charset=ascii" : row.part_type},
                                     {"length", row.declared_length},
                                     {"sha2", sha2}}});
    const std::string dash = "--" + row.raw_boundary;
    const std::string body = row.first_line + dash + "\r\nContent-Type: application/json\r\n\r\n" + s.dump(2) + "\r\n" +
                             dash + "\r\nContent-Type:" + row.part_type + "\r\nContent-Transfer-Encoding: binary\r\n" +
                             row.hash_header + ": " + sha2 + "\r\n\r\n" + row.data + "\r\n" + dash + "--" + row.after_close;
    auto r = c.Post("/xapi/statements", xapi_headers("conf-multipart"), body, "multipart/mixed; boundary=" + row.boundary);
    REQUIRE(r);
    INFO(row.variant << " -> " << r->status << " " << r->body);
    CHECK(r->status == 200);
    if (r->status != 200) continue;
    CHECK(json::parse(r->body) == json::array({id}));
    REQUIRE(eventually(c, "conf-multipart", "statementId=" + id, 200));
    auto back = get(c, "conf-multipart", "statementId=" + id + "&attachments=true");
    REQUIRE(back);
    CHECK(back->get_header_value("Content-Type").starts_with("multipart/mixed"));
    CHECK(back->body.find(row.data) != std::string::npos);
  }
}

TEST_CASE("Data 2.4.6.2: contextActivities given as single objects come back as arrays", "[xapi][conformance][integration]") {
  auto c = client();
  const std::string id = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e50";
  json s = statement(id);
  s["context"] = {{"contextActivities",
                   {{"parent", {{"id", "https://lms.example.com/course"}}},
                    {"grouping", {{"id", "https://lms.example.com/programme"}}},
                    {"category", {{"id", "https://w3id.org/xapi/scorm"}}},
                    {"other", {{"id", "https://lms.example.com/tag"}}}}}};
  REQUIRE(post(c, "conf-context", s.dump())->status == 200);
  REQUIRE(eventually(c, "conf-context", "statementId=" + id, 200));
  const json back = json::parse(get(c, "conf-context", "statementId=" + id)->body);
  for (const char* kind : {"parent", "grouping", "category", "other"}) {
    INFO(kind);
    CHECK(back["context"]["contextActivities"][kind] == json::array({s["context"]["contextActivities"][kind]}));
  }
}

TEST_CASE("Communication 2.1.3: format=ids and format=canonical with Accept-Language", "[xapi][conformance][integration]") {
  auto c = client();
  const std::string id = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e60";
  json s = statement(id);
  s["verb"]["display"] = {{"en-US", "completed"}, {"fr-FR", "terminé"}, {"de", "abgeschlossen"}};
  s["object"]["definition"] = {{"name", {{"en-US", "Algebra"}, {"fr-FR", "Algèbre"}}},
                               {"description", {{"en-GB", "Algebra course"}, {"fr", "Cours d'algèbre"}}}};
  s["context"] = {{"contextActivities", {{"parent", {{{"id", "https://lms.example.com/maths"},
                                                       {"definition", {{"name", {{"en", "Maths"}, {"fr", "Maths (fr)"}}}}}}}}}}};
  REQUIRE(post(c, "conf-format", s.dump())->status == 200);
  REQUIRE(eventually(c, "conf-format", "statementId=" + id, 200));

  for (const std::string& query : std::vector<std::string>{"statementId=" + id + "&format=ids", "format=ids"}) {
    auto r = get(c, "conf-format", query);
    REQUIRE(r);
    INFO("?" << query << " -> " << r->status << " " << r->body);
    REQUIRE(r->status == 200);
    json ids = json::parse(r->body);
    if (ids.contains("statements")) ids = ids["statements"][0];
    CHECK(ids["actor"] == json{{"mbox", "mailto:ada@example.com"}});
    CHECK(ids["verb"] == json{{"id", "http://adlnet.gov/expapi/verbs/completed"}});
    CHECK(ids["object"] == json{{"id", "https://lms.example.com/course/algebra-1"}});
    CHECK(ids["context"]["contextActivities"]["parent"] == json::array({{{"id", "https://lms.example.com/maths"}}}));
  }

  struct Row {
    std::string accept_language;
    json display, name, description, parent_name;
  };
  const std::vector<Row> rows = {
      {"fr-FR, fr;q=0.9, en;q=0.5", {{"fr-FR", "terminé"}}, {{"fr-FR", "Algèbre"}}, {{"fr", "Cours d'algèbre"}},
       {{"fr", "Maths (fr)"}}},
      {"en-US,en;q=0.9", {{"en-US", "completed"}}, {{"en-US", "Algebra"}}, {{"en-GB", "Algebra course"}},
       {{"en", "Maths"}}},
      {"de;q=0.8, fr;q=0.9", {{"fr-FR", "terminé"}}, {{"fr-FR", "Algèbre"}}, {{"fr", "Cours d'algèbre"}},
       {{"fr", "Maths (fr)"}}},
      {"*", {}, {}, {}, {}},
      {"de-CH", {{"de", "abgeschlossen"}}, {}, {}, {}},
  };
  for (const auto& row : rows) {
    for (const std::string& query :
         std::vector<std::string>{"statementId=" + id + "&format=canonical", "format=canonical"}) {
      auto h = xapi_headers("conf-format");
      h.emplace("Accept-Language", row.accept_language);
      auto r = c.Get(("/xapi/statements?" + query).c_str(), h);
      REQUIRE(r);
      INFO("Accept-Language: " << row.accept_language << " ?" << query << " -> " << r->status << " " << r->body);
      REQUIRE(r->status == 200);
      json can = json::parse(r->body);
      if (can.contains("statements")) can = can["statements"][0];
      // Every language map has exactly one entry, the best match when there is one.
      CHECK(can["verb"]["display"].size() == 1);
      CHECK(can["object"]["definition"]["name"].size() == 1);
      CHECK(can["object"]["definition"]["description"].size() == 1);
      if (!row.display.empty()) CHECK(can["verb"]["display"] == row.display);
      if (!row.name.empty()) CHECK(can["object"]["definition"]["name"] == row.name);
      if (!row.description.empty()) CHECK(can["object"]["definition"]["description"] == row.description);
      if (!row.parent_name.empty()) {
        CHECK(can["context"]["contextActivities"]["parent"][0]["definition"]["name"] == row.parent_name);
      }
    }
  }
}

TEST_CASE("Communication 2.1.3: format=canonical answers for any Accept-Language, every way it can be asked",
          "[xapi][conformance][integration]") {
  auto c = client();
  const std::string id = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e61";
  json s = statement(id);
  s["verb"]["display"] = {{"en-US", "completed"}, {"fr-FR", "terminé"}};
  s["object"]["definition"] = {{"name", {{"en-US", "Algebra"}, {"fr-FR", "Algèbre"}}}};
  REQUIRE(post(c, "conf-canonical", s.dump())->status == 200);
  REQUIRE(eventually(c, "conf-canonical", "statementId=" + id, 200));
  const std::vector<std::string> languages = {"fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "*", "en", "",
                                              "en;q=", "fr;q=abc", "en;q=1e999", ",,", "-", "EN-us"};
  for (const auto& language : languages) {
    for (const std::string version : {"1.0.3", "2.0.0"}) {
      auto h = xapi_headers("conf-canonical", version);
      h.emplace("Accept-Language", language);
      INFO("Accept-Language: \"" << language << "\" " << version);
      for (const std::string& query : std::vector<std::string>{"statementId=" + id + "&format=canonical",
                                                               "format=canonical",
                                                               "format=canonical&limit=1&attachments=true"}) {
        INFO("?" << query);
        auto r = c.Get(("/xapi/statements?" + query).c_str(), h);
        REQUIRE(r);
        CHECK(r->status == 200);
        auto head = c.Head(("/xapi/statements?" + query).c_str(), h);
        REQUIRE(head);
        CHECK(head->status == 200);
      }
      if (version == "1.0.3") {
        auto alternate = c.Post("/xapi/statements?method=GET",
                                edfleet::testing::with_identity<httplib::Headers>({"conf-canonical", "key-1", ""}),
                                form({{"X-Experience-API-Version", "1.0.3"}, {"Accept-Language", language},
                                      {"statementId", id}, {"format", "canonical"}}),
                                "application/x-www-form-urlencoded");
        REQUIRE(alternate);
        CHECK(alternate->status == 200);
      }
    }
  }
}

TEST_CASE("Communication 2.1.3 / 2.1.4: statements targeting a voided statement come back with the voiding statement",
          "[xapi][conformance][integration]") {
  auto c = client();
  const std::string tenant = "conf-voided-refs";
  const std::string target = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e70";
  const std::string voiding = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e71";
  const std::string referring = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e72";
  const std::string chained = "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e73";  // targets `referring`
  const auto targeting = [](const std::string& id, const std::string& who, const std::string& verb,
                            const std::string& object) {
    return json{{"id", id},
                {"actor", {{"mbox", "mailto:" + who + "@example.com"}}},
                {"verb", {{"id", "http://adlnet.gov/expapi/verbs/" + verb}}},
                {"object", {{"objectType", "StatementRef"}, {"id", object}}}};
  };
  const std::string before = utc_now();
  REQUIRE(post(c, tenant, statement(target).dump(), "2.0.0")->status == 200);
  REQUIRE(eventually(c, tenant, "statementId=" + target, 200));
  REQUIRE(post(c, tenant, targeting(voiding, "admin", "voided", target).dump(), "2.0.0")->status == 200);
  REQUIRE(eventually(c, tenant, "statementId=" + target, 404));
  const std::string between = utc_now();
  REQUIRE(post(c, tenant, targeting(referring, "bob", "experienced", target).dump(), "2.0.0")->status == 200);
  REQUIRE(post(c, tenant, targeting(chained, "eve", "commented", referring).dump(), "2.0.0")->status == 200);
  REQUIRE(eventually(c, tenant, "statementId=" + chained, 200));
  const std::string after = utc_now();

  const std::string completed = "verb=" + url_encoded("http://adlnet.gov/expapi/verbs/completed");
  struct Row {
    const char* rule;
    std::string query;
    std::vector<std::string> expected;  // newest first
  };
  const std::vector<Row> rows = {
      {"no filter: everything but the voided statement", "", {chained, referring, voiding}},
      {"since", "since=" + url_encoded(before), {chained, referring, voiding}},
      {"until", "until=" + url_encoded(after), {chained, referring, voiding}},
      {"ascending", "ascending=true", {voiding, referring, chained}},
      // The voided statement's verb: the statements targeting it match (and what targets those).
      {"verb of the voided target", completed, {chained, referring, voiding}},
      {"verb of the voided target, since: only what came after", completed + "&since=" + url_encoded(between),
       {chained, referring}},
      {"verb of the voided target, until: only what came before", completed + "&until=" + url_encoded(between),
       {voiding}},
      {"verb of the voided target, limit 1: the newest targeting statement", completed + "&limit=1", {chained}},
      {"agent of the voided target",
       "agent=" + url_encoded(R"({"mbox": "mailto:ada@example.com"})"), {chained, referring, voiding}},
      {"activity of the voided target", "activity=" + url_encoded("https://lms.example.com/course/algebra-1"),
       {chained, referring, voiding}},
      {"a targeting statement's own verb, and what targets it",
       "verb=" + url_encoded("http://adlnet.gov/expapi/verbs/experienced"), {chained, referring}},
      {"a verb nothing has", "verb=" + url_encoded("http://adlnet.gov/expapi/verbs/failed"), {}},
  };
  for (const std::string version : {"1.0.3", "2.0.0"}) {
    for (const auto& row : rows) {
      auto r = get(c, tenant, row.query, version);
      REQUIRE(r);
      INFO(version << " " << row.rule << ": ?" << row.query << " -> " << r->status << " " << r->body);
      REQUIRE(r->status == 200);
      std::vector<std::string> ids;
      const json result = json::parse(r->body);
      for (const auto& s : result["statements"]) ids.push_back(s["id"].get<std::string>());
      CHECK(ids == row.expected);
    }
  }
}

TEST_CASE("Communication 2.5: the Activities resource answers the Activity merged from every statement about it",
          "[xapi][conformance][integration]") {
  auto c = client();
  const std::string tenant = "conf-activities";
  const std::string activity = "https://lms.example.com/course/geometry";
  json first = statement("7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e80");
  first["object"] = {{"id", activity},
                     {"definition", {{"name", {{"en-US", "Geometry"}}},
                                     {"description", {{"en-US", "Shapes and angles"}}},
                                     {"type", "http://adlnet.gov/expapi/activities/course"}}}};
  json second = statement("7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e81");
  second["object"] = {{"id", activity}, {"definition", {{"name", {{"fr-FR", "Géométrie"}}}}}};
  json third = statement("7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e82");  // as a context activity (single object)
  json parent = {{"id", activity},
                 {"definition", {{"description", {{"de", "Formen und Winkel"}}},
                                 {"extensions", {{"http://example.com/level", 2}}}}}};
  third["context"] = {{"contextActivities", {{"parent", parent}}}};
  json fourth = statement("7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e83");  // inside a SubStatement
  fourth["object"] = {{"objectType", "SubStatement"},
                      {"actor", {{"mbox", "mailto:bob@example.com"}}},
                      {"verb", {{"id", "http://adlnet.gov/expapi/verbs/attempted"}}},
                      {"object", {{"id", activity}, {"definition", {{"name", {{"es", "Geometría"}}}}}}}};
  // Asked right after the statements were accepted, as a client does (statements are Kafka first and
  // materialised a moment later; the answer waits for them).
  for (const json& s : {first, second, third, fourth}) {
    auto r = post(c, tenant, s.dump());
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
  }
  auto r = c.Get(("/xapi/activities?activityId=" + url_encoded(activity)).c_str(), xapi_headers(tenant));
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  const json a = json::parse(r->body);
  CHECK(a["objectType"] == "Activity");
  CHECK(a["id"] == activity);
  CHECK(a["definition"]["name"] == json{{"en-US", "Geometry"}, {"fr-FR", "Géométrie"}, {"es", "Geometría"}});
  CHECK(a["definition"]["description"] == json{{"en-US", "Shapes and angles"}, {"de", "Formen und Winkel"}});
  CHECK(a["definition"]["type"] == "http://adlnet.gov/expapi/activities/course");
  CHECK(a["definition"]["extensions"] == json{{"http://example.com/level", 2}});

  // Two statements in one batch, each naming the activity in another language (the external suite's
  // case), read at once: both names.
  for (int round = 0; round < 5; ++round) {
    const std::string meeting = "https://lms.example.com/meeting/" + std::to_string(round);
    json english = statement();
    english["object"] = {{"objectType", "Activity"}, {"id", meeting},
                         {"definition", {{"name", {{"en-US", "example meeting"}}}, {"type", "http://adlnet.gov/expapi/activities/meeting"}}}};
    json french = english;
    french["object"]["definition"]["name"] = {{"fr-FR", "réunion"}};
    REQUIRE(post(c, tenant, json::array({english, french}).dump())->status == 200);
    auto answer = c.Get(("/xapi/activities?activityId=" + url_encoded(meeting)).c_str(), xapi_headers(tenant));
    REQUIRE(answer);
    INFO(answer->body);
    REQUIRE(answer->status == 200);
    CHECK(json::parse(answer->body) == json{{"objectType", "Activity"}, {"id", meeting},
                                            {"definition", {{"name", {{"en-US", "example meeting"}, {"fr-FR", "réunion"}}},
                                                            {"type", "http://adlnet.gov/expapi/activities/meeting"}}}});
  }
}

TEST_CASE("xAPI 2.0: Last-Modified is the statement's stored, timestamps in UTC, fine durations kept",
          "[xapi][conformance][integration]") {
  auto c = client();
  const std::string tenant = "conf-v2-times";
  struct Row {
    std::string version;
    std::string id;
  };
  for (const Row& row : {Row{"2.0.0", "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e90"}, Row{"1.0.3", "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e91"}}) {
    json s = statement(row.id);
    s["timestamp"] = "2026-11-25T10:30:00.123+01:00";
    s["result"]["duration"] = "PT1M30.123456S";  // beyond 0.01 s: accepted, kept (or truncated)
    auto stored = post(c, tenant, s.dump(), row.version);
    REQUIRE(stored);
    INFO(row.version << ": " << stored->body);
    REQUIRE(stored->status == 200);
    REQUIRE(eventually(c, tenant, "statementId=" + row.id, 200));
  }
  for (const std::string version : {"2.0.0", "1.0.3"}) {
    for (const std::string id : {"7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e90", "7d2c3e4f-1a5b-4c6d-8e7f-0a1b2c3d4e91"}) {
      auto r = get(c, tenant, "statementId=" + id, version);
      REQUIRE(r);
      INFO(version << " GET " << id << " -> " << r->body);
      REQUIRE(r->status == 200);
      const json s = json::parse(r->body);
      // Last-Modified names the statement's stored instant (HTTP dates have whole seconds).
      const auto stored_at = core::parse_rfc3339(s["stored"].get<std::string>());
      REQUIRE(stored_at);
      CHECK(r->get_header_value("Last-Modified") == http_date_of(*stored_at));
      CHECK(s["stored"].get<std::string>().ends_with("Z"));
      const std::string duration = s["result"]["duration"];
      CHECK((duration == "PT1M30.123456S" || duration == "PT1M30.12S"));
      if (version == "2.0.0") {
        CHECK(s["timestamp"] == "2026-11-25T09:30:00.123Z");  // the same instant, in UTC
      }
    }
  }
}
