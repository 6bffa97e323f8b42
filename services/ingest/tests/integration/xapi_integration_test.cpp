// The xAPI Statements resource (write side) end to end: the built edfleet-ingest against the test
// binary's embedded Kafka and Postgres. Statements go in over HTTP under /xapi/statements and are read
// back from edfleet.events.v1; statuses and headers follow the xAPI Communication part.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/core/time_format.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/kafka/message.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/testing/testing.h"
#include "xapi_http_test_support.h"

using namespace edfleet;
using nlohmann::json;
namespace xapi_test = edfleet::ingest::xapi_test;

namespace {

// One ingest process for the whole binary (start-up costs a Kafka producer and migrations).
testing::ServiceProcess& lrs() {
  static auto process = xapi_test::start_ingest(
      "ingest_xapi", {{"EDFLEET_INGEST_XAPI_MAX_BATCH_STATEMENTS", "20"},
                      // user -> tenant:password (HTTP Basic for direct use)
                      {"EDFLEET_INGEST_XAPI_BASIC_CREDENTIALS", "lms-key=basic:s3cret:x,other=basic2:pw"}});
  return *process;
}

httplib::Headers headers(const std::string& tenant, const std::string& version = "1.0.3") {
  return xapi_test::xapi_headers(tenant, version);
}

httplib::Client client() { return xapi_test::http_client(lrs().http_port()); }

std::string statement(const std::string& id = "", const std::string& email = "ada@example.com") {
  json s = json::parse(R"({"actor": {"mbox": "mailto:ada@example.com", "name": "Ada"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"id": "https://lms.example.com/course/algebra-1"}})");
  s["actor"]["mbox"] = "mailto:" + email;
  if (!id.empty()) s["id"] = id;
  return s.dump();
}

struct Record {
  std::string key;
  std::string ce_id;
  events::v1::Event event;
  json statement;
};

std::vector<Record> records_of(const std::string& tenant) {
  std::vector<Record> out;
  for (auto& m : testing::read_topic(std::string(contracts::kEventsTopic))) {
    if (!m.key.starts_with(tenant + "/")) continue;
    Record r;
    r.key = m.key;
    r.ce_id = m.header("ce_id").value_or("");
    REQUIRE(r.event.ParseFromString(m.value));
    r.statement = json::parse(r.event.xapi_statement().statement_json());
    out.push_back(std::move(r));
  }
  return out;
}

json error_of(const httplib::Result& r) { return json::parse(r->body)["error"]; }

core::Timestamp xapi_consistent_through(const std::string& text) {
  const auto t = core::parse_rfc3339(text);
  REQUIRE(t);
  return *t;
}

}  // namespace

TEST_CASE("POST stores statements on Kafka and answers their ids in order", "[xapi][integration]") {
  auto c = client();
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e01";
  const std::string body = "[" + statement(id) + "," + statement("", "bob@example.com") + "]";
  auto r = c.Post("/xapi/statements", headers("post"), body, "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("X-Experience-API-Version") == "1.0.3");
  CHECK(r->has_header("X-Experience-API-Consistent-Through"));
  const json ids = json::parse(r->body);
  REQUIRE(ids.size() == 2);
  CHECK(ids[0] == id);

  auto records = records_of("post");
  REQUIRE(records.size() == 2);
  // The topic is read partition by partition: put the records in request order.
  if (records[0].ce_id != id) std::swap(records[0], records[1]);
  CHECK(records[0].ce_id == id);
  CHECK(records[0].event.type() == "xapi.statement");
  CHECK(records[0].event.tenant() == "post");
  CHECK(records[0].key == "post/mbox:mailto:ada@example.com");
  CHECK(records[0].event.subject().learner_id() == "mbox:mailto:ada@example.com");
  CHECK(records[0].event.xapi_statement().version() == "1.0.3");
  CHECK(records[0].statement["id"] == id);
  CHECK(records[0].statement["authority"]["account"]["name"] == "key-1");
  CHECK(records[0].statement.contains("stored"));
  CHECK(records[0].statement["version"] == "1.0.0");
  CHECK(records[1].ce_id == ids[1]);
  CHECK(records[1].key == "post/mbox:mailto:bob@example.com");

  // The same batch again: no change (200, same ids), nothing new on the topic.
  auto again = c.Post("/xapi/statements", headers("post"), "[" + statement(id) + "," + statement(ids[1], "bob@example.com") + "]",
                      "application/json");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(json::parse(again->body) == ids);
  CHECK(records_of("post").size() == 2);
}

TEST_CASE("PUT stores one statement under statementId: 204, retry no change, other content 409",
          "[xapi][integration]") {
  auto c = client();
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e02";
  auto r = c.Put("/xapi/statements?statementId=" + id, headers("put", "2.0.0"), statement(), "application/json");
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 204);
  CHECK(r->get_header_value("X-Experience-API-Version") == "2.0.0");
  auto retry = c.Put("/xapi/statements?statementId=" + id, headers("put", "2.0.0"), statement(id), "application/json");
  REQUIRE(retry);
  CHECK(retry->status == 204);
  auto conflict = c.Put("/xapi/statements?statementId=" + id, headers("put"), statement(id, "eve@example.com"),
                        "application/json");
  REQUIRE(conflict);
  CHECK(conflict->status == 409);
  CHECK(error_of(conflict)["message"].get<std::string>().find(id) != std::string::npos);
  // POST with that id and other content: 409 too.
  auto post_conflict = c.Post("/xapi/statements", headers("put"), statement(id, "eve@example.com"), "application/json");
  REQUIRE(post_conflict);
  CHECK(post_conflict->status == 409);

  auto no_param = c.Put("/xapi/statements", headers("put"), statement(), "application/json");
  REQUIRE(no_param);
  CHECK(no_param->status == 400);
  auto mismatch = c.Put("/xapi/statements?statementId=6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0eff", headers("put"),
                        statement(id), "application/json");
  REQUIRE(mismatch);
  CHECK(mismatch->status == 400);
  CHECK(error_of(mismatch)["field"] == "id");

  const auto records = records_of("put");
  REQUIRE(records.size() == 1);
  CHECK(records[0].ce_id == id);
  CHECK(records[0].statement["version"] == "2.0.0");
}

TEST_CASE("the version header is required and must be 1.0.x or 2.0.x", "[xapi][integration]") {
  auto c = client();
  auto missing = c.Post("/xapi/statements", headers("version", ""), statement(), "application/json");
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK(error_of(missing)["message"].get<std::string>().find("X-Experience-API-Version") != std::string::npos);
  CHECK(missing->has_header("X-Experience-API-Consistent-Through"));
  auto old = c.Post("/xapi/statements", headers("version", "0.95"), statement(), "application/json");
  REQUIRE(old);
  CHECK(old->status == 400);
  auto ok = c.Post("/xapi/statements", headers("version", "1.0"), statement(), "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->get_header_value("X-Experience-API-Version") == "1.0.3");
}

TEST_CASE("credentials: gateway headers or HTTP Basic mapped to a tenant; else 401", "[xapi][integration]") {
  auto c = client();
  const httplib::Headers version = {{"X-Experience-API-Version", "1.0.3"}};
  auto none = c.Post("/xapi/statements", version, statement(), "application/json");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->has_header("WWW-Authenticate"));

  c.set_basic_auth("lms-key", "wrong");
  auto wrong = c.Post("/xapi/statements", version, statement(), "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);

  c.set_basic_auth("lms-key", "s3cret:x");  // passwords may contain ':'
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e03";
  auto ok = c.Post("/xapi/statements", version, statement(id), "application/json");
  REQUIRE(ok);
  INFO(ok->body);
  CHECK(ok->status == 200);
  const auto records = records_of("basic");
  REQUIRE(records.size() == 1);
  CHECK(records[0].statement["authority"]["account"]["name"] == "lms-key");

  // Tenants are separate: the same id in another tenant is another statement.
  c.set_basic_auth("other", "pw");
  auto other = c.Post("/xapi/statements", version, statement(id, "eve@example.com"), "application/json");
  REQUIRE(other);
  CHECK(other->status == 200);
  CHECK(records_of("basic2").size() == 1);
}

TEST_CASE("invalid requests: statement rules, duplicate ids, body and method", "[xapi][integration]") {
  auto c = client();
  json bad = json::parse(statement());
  bad["context"] = {{"contextActivities", {{"parent", {{{"id", "course"}}}}}}};
  auto invalid = c.Post("/xapi/statements", headers("invalid"), "[" + statement() + "," + bad.dump() + "]",
                        "application/json");
  REQUIRE(invalid);
  CHECK(invalid->status == 400);
  CHECK(error_of(invalid)["field"] == "[1].context.contextActivities.parent[0].id");
  CHECK(error_of(invalid)["message"] ==
        "[1].context.contextActivities.parent[0].id must be an IRI with a scheme; got \"course\".");

  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e04";
  auto dup = c.Post("/xapi/statements", headers("invalid"), "[" + statement(id) + "," + statement(id) + "]",
                    "application/json");
  REQUIRE(dup);
  CHECK(dup->status == 400);

  auto not_json = c.Post("/xapi/statements", headers("invalid"), "{", "application/json");
  REQUIRE(not_json);
  CHECK(not_json->status == 400);
  auto text = c.Post("/xapi/statements", headers("invalid"), statement(), "text/plain");
  REQUIRE(text);
  CHECK(text->status == 400);
  auto too_many = c.Post("/xapi/statements", headers("invalid"), json(std::vector<json>(21, json::parse(statement()))).dump(),
                         "application/json");
  REQUIRE(too_many);
  CHECK(too_many->status == 413);
  auto del = c.Delete("/xapi/statements", headers("invalid"));
  REQUIRE(del);
  CHECK(del->status == 405);
  CHECK(records_of("invalid").empty());
}

namespace {

httplib::Result get(httplib::Client& c, const std::string& tenant, const std::string& query) {
  return c.Get(("/xapi/statements" + (query.empty() ? std::string() : "?" + query)).c_str(), headers(tenant));
}

// Waits until GET by statementId answers `status` (the materialiser is asynchronous).
bool eventually_status(httplib::Client& c, const std::string& tenant, const std::string& query, int status) {
  return testing::wait_until([&] {
    auto r = get(c, tenant, query);
    return r && r->status == status;
  });
}

std::string post_one(httplib::Client& c, const std::string& tenant, const json& s) {
  auto r = c.Post("/xapi/statements", headers(tenant), s.dump(), "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body)[0].get<std::string>();
}

}  // namespace

TEST_CASE("GET by statementId returns the stored statement once materialised; HEAD too", "[xapi][integration]") {
  auto c = client();
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e10";
  post_one(c, "get", json::parse(statement(id)));
  REQUIRE(eventually_status(c, "get", "statementId=" + id, 200));
  auto r = get(c, "get", "statementId=" + id);
  REQUIRE(r);
  const json s = json::parse(r->body);
  CHECK(s["id"] == id);
  CHECK(s.contains("stored"));
  CHECK(s["authority"]["account"]["name"] == "key-1");
  CHECK(r->has_header("Last-Modified"));
  CHECK(r->get_header_value("X-Experience-API-Version") == "1.0.3");
  // The watermark passes the statement once nothing stored before it is still being materialised
  // (statements of earlier test cases may still be pending: it covers the whole process).
  const auto stored = xapi_consistent_through(s["stored"].get<std::string>());
  CHECK(testing::wait_until([&] {
    auto again = get(c, "get", "statementId=" + id);
    return again && xapi_consistent_through(again->get_header_value("X-Experience-API-Consistent-Through")) >= stored;
  }));
  // Upper-case ids are the same statement.
  std::string upper = id;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto by_upper = get(c, "get", "statementId=" + upper);
  REQUIRE(by_upper);
  CHECK(by_upper->status == 200);

  auto head = c.Head(("/xapi/statements?statementId=" + id).c_str(), headers("get"));
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());

  // Another tenant does not see it; an unknown id is 404.
  auto other = get(c, "get-other", "statementId=" + id);
  REQUIRE(other);
  CHECK(other->status == 404);
  auto unknown = get(c, "get", "statementId=6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0eee");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(unknown->has_header("X-Experience-API-Consistent-Through"));
}

TEST_CASE("voiding: the target is only found by voidedStatementId and leaves queries", "[xapi][integration]") {
  auto c = client();
  const std::string target = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e20";
  const std::string voiding = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e21";
  const std::string revoke = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e22";
  post_one(c, "void", json::parse(statement(target)));
  const auto voiding_statement = [](const std::string& id, const std::string& what) {
    return json{{"id", id},
                {"actor", {{"mbox", "mailto:admin@example.com"}}},
                {"verb", {{"id", "http://adlnet.gov/expapi/verbs/voided"}, {"display", {{"en-US", "voided"}}}}},
                {"object", {{"objectType", "StatementRef"}, {"id", what}}}};
  };
  post_one(c, "void", voiding_statement(voiding, target));
  REQUIRE(eventually_status(c, "void", "voidedStatementId=" + target, 200));
  auto by_id = get(c, "void", "statementId=" + target);
  REQUIRE(by_id);
  CHECK(by_id->status == 404);
  CHECK(json::parse(get(c, "void", "voidedStatementId=" + target)->body)["id"] == target);
  // The voiding statement itself is an ordinary statement.
  CHECK(get(c, "void", "statementId=" + voiding)->status == 200);
  CHECK(get(c, "void", "voidedStatementId=" + voiding)->status == 404);
  // A voiding statement cannot be voided: voiding it has no effect.
  post_one(c, "void", voiding_statement(revoke, voiding));
  REQUIRE(eventually_status(c, "void", "statementId=" + revoke, 200));
  CHECK(get(c, "void", "statementId=" + voiding)->status == 200);
  // Queries leave the voided statement out.
  auto all = get(c, "void", "");
  REQUIRE(all);
  std::set<std::string> ids;
  const json page = json::parse(all->body);
  for (const auto& s : page["statements"]) ids.insert(s["id"].get<std::string>());
  CHECK(ids == std::set<std::string>{voiding, revoke});
}

TEST_CASE("queries: agent, verb, activity, registration, since/until, ascending, limit with more",
          "[xapi][integration]") {
  auto c = client();
  const std::string registration = "a1b2c3d4-0000-4000-8000-000000000001";
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    json s = json::parse(statement("", i % 2 == 0 ? "even@example.com" : "odd@example.com"));
    s["verb"]["id"] = i < 3 ? "http://adlnet.gov/expapi/verbs/attempted" : "http://adlnet.gov/expapi/verbs/passed";
    s["object"]["id"] = "https://lms.example.com/quiz/" + std::to_string(i % 2);
    if (i == 4) s["context"] = {{"registration", registration}};
    ids.push_back(post_one(c, "query", s));
  }
  // Consistent-Through covers everything once nothing is pending.
  REQUIRE(testing::wait_until([&] {
    auto r = get(c, "query", "");
    return r && r->status == 200 && json::parse(r->body)["statements"].size() == 5;
  }));
  const auto ids_of = [&](const std::string& query) {
    auto r = get(c, "query", query);
    REQUIRE(r);
    INFO(query << " -> " << r->body);
    REQUIRE(r->status == 200);
    std::vector<std::string> out;
    const json page = json::parse(r->body);  // kept alive: the loop below reads into it
    for (const auto& s : page["statements"]) out.push_back(s["id"].get<std::string>());
    return out;
  };
  // Newest first by default; ascending reverses.
  const auto newest_first = ids_of("");
  CHECK(newest_first == std::vector<std::string>(ids.rbegin(), ids.rend()));
  CHECK(ids_of("ascending=true") == ids);
  CHECK(ids_of("verb=" + xapi_test::url_encoded("http://adlnet.gov/expapi/verbs/passed")) ==
        std::vector<std::string>{ids[4], ids[3]});
  CHECK(ids_of("agent=" + xapi_test::url_encoded(R"({"mbox": "mailto:odd@example.com"})")) ==
        std::vector<std::string>{ids[3], ids[1]});
  CHECK(ids_of("activity=" + xapi_test::url_encoded("https://lms.example.com/quiz/0") + "&ascending=true") ==
        std::vector<std::string>{ids[0], ids[2], ids[4]});
  CHECK(ids_of("registration=" + registration) == std::vector<std::string>{ids[4]});
  CHECK(ids_of("verb=" + xapi_test::url_encoded("http://adlnet.gov/expapi/verbs/passed") + "&agent=" +
               xapi_test::url_encoded(R"({"mbox": "mailto:even@example.com"})")) == std::vector<std::string>{ids[4]});

  // since/until on stored.
  const json second = json::parse(get(c, "query", "statementId=" + ids[1])->body);
  const std::string stored = second["stored"];
  const auto since = ids_of("ascending=true&since=" + xapi_test::url_encoded(stored));
  CHECK(std::find(since.begin(), since.end(), ids[1]) == since.end());
  CHECK(std::find(since.begin(), since.end(), ids[4]) != since.end());
  const auto until = ids_of("ascending=true&until=" + xapi_test::url_encoded(stored));
  CHECK(std::find(until.begin(), until.end(), ids[1]) != until.end());
  CHECK(std::find(until.begin(), until.end(), ids[4]) == until.end());

  // Paging: limit=2 gives a more link; following it (even after new statements arrive) continues.
  auto page = get(c, "query", "limit=2&ascending=true");
  REQUIRE(page);
  json body = json::parse(page->body);
  std::vector<std::string> paged;
  for (const auto& s : body["statements"]) paged.push_back(s["id"].get<std::string>());
  REQUIRE(body["more"].get<std::string>().rfind("/xapi/statements?more=", 0) == 0);
  const std::string late = post_one(c, "query", json::parse(statement("", "late@example.com")));
  while (!body["more"].get<std::string>().empty()) {
    auto next = c.Get(body["more"].get<std::string>().c_str(), headers("query"));
    REQUIRE(next);
    REQUIRE(next->status == 200);
    body = json::parse(next->body);
    CHECK(body["statements"].size() <= 2);
    for (const auto& s : body["statements"]) paged.push_back(s["id"].get<std::string>());
  }
  REQUIRE(paged.size() >= 5);
  CHECK(std::vector<std::string>(paged.begin(), paged.begin() + 5) == ids);
  CHECK(std::set<std::string>(paged.begin(), paged.end()).size() == paged.size());
  // A cursor from another tenant is refused.
  auto first = json::parse(get(c, "query", "limit=1")->body);
  auto stolen = c.Get(first["more"].get<std::string>().c_str(), headers("other-tenant"));
  REQUIRE(stolen);
  CHECK(stolen->status == 400);
  (void)late;
}

TEST_CASE("related_agents and related_activities widen the agent and activity filters", "[xapi][integration]") {
  auto c = client();
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e50";
  json s = json::parse(statement(id));
  s["context"] = {{"instructor", {{"mbox", "mailto:teacher@example.com"}}},
                  {"contextActivities", {{"parent", {{{"id", "https://lms.example.com/program"}}}}}}};
  post_one(c, "related", s);
  REQUIRE(eventually_status(c, "related", "statementId=" + id, 200));
  const auto count = [&](const std::string& query) {
    auto r = get(c, "related", query);
    REQUIRE(r);
    INFO(query << " -> " << r->body);
    REQUIRE(r->status == 200);
    return json::parse(r->body)["statements"].size();
  };
  const std::string teacher = "agent=" + xapi_test::url_encoded(R"({"mbox": "mailto:teacher@example.com"})");
  const std::string program = "activity=" + xapi_test::url_encoded("https://lms.example.com/program");
  CHECK(count(teacher) == 0);
  CHECK(count(teacher + "&related_agents=true") == 1);
  CHECK(count(program) == 0);
  CHECK(count(program + "&related_activities=true") == 1);
  CHECK(count("activity=" + xapi_test::url_encoded("https://lms.example.com/course/algebra-1") + "&related_activities=true") == 1);
  CHECK(count("agent=" + xapi_test::url_encoded(R"({"mbox": "mailto:ada@example.com"})") + "&related_agents=true") == 1);
  CHECK(count("agent=" + xapi_test::url_encoded(R"({"account": {"homePage": "https://edfleet.local/tenants/related", "name": "key-1"}})") +
              "&related_agents=true") == 1);  // the authority
}

TEST_CASE("GET parameter errors are 400 and name the parameter", "[xapi][integration]") {
  auto c = client();
  const auto bad = [&](const std::string& query, const std::string& field) {
    auto r = get(c, "params", query);
    REQUIRE(r);
    INFO(query << " -> " << r->body);
    CHECK(r->status == 400);
    CHECK(error_of(r)["field"] == field);
  };
  bad("color=red", "color");
  bad("statementId=x", "statementId");
  bad("statementId=6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e10&verb=" + xapi_test::url_encoded("http://x.com/v"), "verb");
  bad("statementId=6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e10&voidedStatementId=6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e11",
      "voidedStatementId");
  bad("limit=-1", "limit");
  bad("verb=passed", "verb");
  bad("agent=" + xapi_test::url_encoded(R"({"name": "no identifier"})"), "agent");
  bad("agent=ada", "agent");
  bad("since=yesterday", "since");
  bad("ascending=yes", "ascending");
  bad("format=full", "format");
  bad("more=zz", "more");
  auto no_version = c.Get("/xapi/statements", edfleet::testing::with_identity<httplib::Headers>({"params", "", ""}));
  REQUIRE(no_version);
  CHECK(no_version->status == 400);
}

TEST_CASE("format=ids and format=canonical with Accept-Language", "[xapi][integration]") {
  auto c = client();
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e30";
  json s = json::parse(statement(id));
  s["verb"]["display"] = {{"en-US", "completed"}, {"fr-FR", "terminé"}};
  s["object"]["definition"] = {{"name", {{"en-US", "Algebra"}, {"fr-FR", "Algèbre"}}}};
  post_one(c, "format", s);
  REQUIRE(eventually_status(c, "format", "statementId=" + id, 200));
  const json ids = json::parse(get(c, "format", "statementId=" + id + "&format=ids")->body);
  CHECK(ids["actor"] == json{{"mbox", "mailto:ada@example.com"}});
  CHECK(ids["verb"] == json{{"id", "http://adlnet.gov/expapi/verbs/completed"}});
  CHECK(ids["object"] == json{{"id", "https://lms.example.com/course/algebra-1"}});
  auto h = headers("format");
  h.emplace("Accept-Language", "fr, en;q=0.5");
  auto canonical = c.Get(("/xapi/statements?format=canonical&statementId=" + id).c_str(), h);
  REQUIRE(canonical);
  REQUIRE(canonical->status == 200);
  const json can = json::parse(canonical->body);
  CHECK(can["verb"]["display"] == json{{"fr-FR", "terminé"}});
  CHECK(can["object"]["definition"]["name"] == json{{"fr-FR", "Algèbre"}});
  const json page = json::parse(get(c, "format", "format=ids")->body);
  REQUIRE(page["statements"].size() == 1);
  CHECK(page["statements"][0]["actor"] == json{{"mbox", "mailto:ada@example.com"}});
}

TEST_CASE("1.0.3 alternate request syntax: POST ?method= with headers and content in the form",
          "[xapi][integration]") {
  auto c = client();
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e40";
  const auto gateway = edfleet::testing::with_identity<httplib::Headers>({"alternate", "", ""});
  const auto form = [](std::vector<std::pair<std::string, std::string>> fields) {
    std::string body;
    for (const auto& [name, value] : fields) {
      if (!body.empty()) body += "&";
      body += name + "=" + xapi_test::url_encoded(value);
    }
    return body;
  };
  auto put = c.Post("/xapi/statements?method=PUT", gateway,
                    form({{"X-Experience-API-Version", "1.0.3"}, {"Content-Type", "application/json"},
                          {"statementId", id}, {"content", statement()}}),
                    "application/x-www-form-urlencoded");
  REQUIRE(put);
  INFO(put->body);
  CHECK(put->status == 204);
  REQUIRE(eventually_status(c, "alternate", "statementId=" + id, 200));
  auto read = c.Post("/xapi/statements?method=GET", gateway,
                     form({{"X-Experience-API-Version", "1.0.3"}, {"statementId", id}}),
                     "application/x-www-form-urlencoded");
  REQUIRE(read);
  CHECK(read->status == 200);
  CHECK(json::parse(read->body)["id"] == id);
  auto wrong = c.Post("/xapi/statements?method=DELETE", gateway, form({{"X-Experience-API-Version", "1.0.3"}}),
                      "application/x-www-form-urlencoded");
  REQUIRE(wrong);
  CHECK(wrong->status == 400);
  auto v2 = c.Post("/xapi/statements?method=GET", gateway,
                   form({{"X-Experience-API-Version", "2.0.0"}, {"statementId", id}}),
                   "application/x-www-form-urlencoded");
  REQUIRE(v2);
  CHECK(v2->status == 400);
}

TEST_CASE("About lists the versions without credentials or version header", "[xapi][integration]") {
  httplib::Client c("127.0.0.1", lrs().http_port());
  auto r = c.Get("/xapi/about");
  REQUIRE(r);
  CHECK(r->status == 200);
  const json about = json::parse(r->body);
  CHECK(about["version"] == json::array({"1.0.3", "2.0.0"}));
  CHECK(about["extensions"].is_object());
  auto head = c.Head("/xapi/about");
  REQUIRE(head);
  CHECK(head->status == 200);
  auto post = c.Post("/xapi/about", "{}", "application/json");
  REQUIRE(post);
  CHECK(post->status == 405);
}

// Last: it kills the shared ingest process. Acknowledged statements are on Kafka before the answer, so
// a SIGKILL right after the answer loses nothing: the restarted materialiser resumes from its stored
// offsets and every statement becomes readable.
TEST_CASE("kill -9 right after the answer loses no acknowledged statement", "[xapi][integration]") {
  auto c = client();
  std::vector<std::string> ids;
  for (int batch = 0; batch < 4; ++batch) {
    std::string body = "[";
    for (int i = 0; i < 5; ++i) body += (i > 0 ? "," : "") + statement("", "k" + std::to_string(batch * 5 + i) + "@example.com");
    body += "]";
    auto r = c.Post("/xapi/statements", headers("kill"), body, "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    for (const auto& id : json::parse(r->body)) ids.push_back(id.get<std::string>());
  }
  lrs().kill(SIGKILL);
  lrs().wait();
  lrs().restart();
  auto after = client();
  REQUIRE(testing::wait_until(
      [&] {
        auto r = get(after, "kill", "limit=0");
        return r && r->status == 200 && json::parse(r->body)["statements"].size() == ids.size();
      },
      std::chrono::seconds(40)));
  for (const auto& id : ids) CHECK(get(after, "kill", "statementId=" + id)->status == 200);
}
