// The xAPI document resources end to end (Communication 2.2-2.7, 3.1): the built edfleet-ingest against
// the test binary's embedded Kafka and Postgres. State, Activity Profile and Agent Profile documents over
// HTTP with ETags and preconditions, the Agents and Activities resources, errors and tenant isolation.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/core/time_format.h"
#include "edfleet/testing/testing.h"
#include "xapi_http_test_support.h"

using namespace edfleet;
using nlohmann::json;
namespace xapi_test = edfleet::ingest::xapi_test;

namespace {

testing::ServiceProcess& lrs() {
  static auto process =
      xapi_test::start_ingest("ingest_xapi_docs", {{"EDFLEET_INGEST_XAPI_BASIC_CREDENTIALS", "lms-key=basic:s3cret"}});
  return *process;
}

httplib::Headers headers(const std::string& tenant, httplib::Headers extra = {}, const std::string& version = "1.0.3") {
  httplib::Headers h = xapi_test::xapi_headers(tenant, version);
  for (auto& [name, value] : extra) h.emplace(name, value);
  return h;
}

httplib::Client client() { return xapi_test::http_client(lrs().http_port()); }

// "?a=b&c=d" with the values URL-encoded.
std::string query(std::initializer_list<std::pair<std::string, std::string>> params) {
  std::string out;
  for (const auto& [name, value] : params) out += (out.empty() ? "?" : "&") + name + "=" + httplib::detail::encode_query_param(value);
  return out;
}

const std::string kAda = R"({"objectType":"Agent","mbox":"mailto:ada@example.com"})";
const std::string kCourse = "http://example.com/course/algebra";
const std::string kR1 = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e01";
const std::string kR2 = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e02";

std::string state(const std::string& id, const std::string& registration = "") {
  if (registration.empty()) return "/xapi/activities/state" + query({{"activityId", kCourse}, {"agent", kAda}, {"stateId", id}});
  return "/xapi/activities/state" +
         query({{"activityId", kCourse}, {"agent", kAda}, {"stateId", id}, {"registration", registration}});
}

std::string activity_profile(const std::string& id) {
  return "/xapi/activities/profile" + query({{"activityId", kCourse}, {"profileId", id}});
}

std::string agent_profile(const std::string& id) { return "/xapi/agents/profile" + query({{"agent", kAda}, {"profileId", id}}); }

json error_of(const httplib::Result& r) { return json::parse(r->body)["error"]; }

json ids_of(const httplib::Result& r) {
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  json ids = json::parse(r->body);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string etag_of(httplib::Client& c, const std::string& tenant, const std::string& path) {
  auto r = c.Get(path.c_str(), headers(tenant));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return r->get_header_value("ETag");
}

}  // namespace

TEST_CASE("State: PUT, GET with ETag and Last-Modified, HEAD, POST merge, DELETE", "[xapi][documents][integration]") {
  auto c = client();
  auto put = c.Put(state("progress").c_str(), headers("state"), "abc", "text/plain; charset=utf-8");
  REQUIRE(put);
  INFO(put->body);
  CHECK(put->status == 204);
  CHECK(put->get_header_value("X-Experience-API-Version") == "1.0.3");

  auto get = c.Get(state("progress").c_str(), headers("state"));
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->body == "abc");
  CHECK(get->get_header_value("Content-Type") == "text/plain; charset=utf-8");
  // Communication 3.1: the quoted, lower-case hex SHA-1 of the contents (SHA-1("abc") is a known vector).
  CHECK(get->get_header_value("ETag") == "\"a9993e364706816aba3e25717850c26c9cd0d89d\"");
  CHECK(get->has_header("Last-Modified"));

  auto head = c.Head(state("progress").c_str(), headers("state"));
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
  CHECK(head->get_header_value("ETag") == "\"a9993e364706816aba3e25717850c26c9cd0d89d\"");

  // Binary content comes back byte for byte.
  const std::string bytes("\x00\x01\xfe\xff", 4);
  REQUIRE(c.Put(state("blob").c_str(), headers("state"), bytes, "application/octet-stream")->status == 204);
  CHECK(c.Get(state("blob").c_str(), headers("state"))->body == bytes);

  // POST merges top-level properties of JSON objects.
  REQUIRE(c.Post(state("vars").c_str(), headers("state"), R"({"x":"foo","y":"bar"})", "application/json")->status == 204);
  auto merge = c.Post(state("vars").c_str(), headers("state"), R"({"x":"bash","z":"faz"})", "application/json");
  REQUIRE(merge);
  CHECK(merge->status == 204);
  CHECK(json::parse(c.Get(state("vars").c_str(), headers("state"))->body) ==
        json::parse(R"({"x":"bash","y":"bar","z":"faz"})"));

  // Merging into or from something that is not a JSON object: 400 and no change.
  auto into_text = c.Post(state("progress").c_str(), headers("state"), R"({"x":1})", "application/json");
  REQUIRE(into_text);
  CHECK(into_text->status == 400);
  CHECK(error_of(into_text)["message"].get<std::string>().find("text/plain") != std::string::npos);
  auto not_object = c.Post(state("vars").c_str(), headers("state"), "[1,2]", "application/json");
  REQUIRE(not_object);
  CHECK(not_object->status == 400);
  auto text_onto_json = c.Post(state("vars").c_str(), headers("state"), "x=1", "text/plain");
  REQUIRE(text_onto_json);
  CHECK(text_onto_json->status == 400);
  CHECK(json::parse(c.Get(state("vars").c_str(), headers("state"))->body)["x"] == "bash");
  CHECK(c.Get(state("progress").c_str(), headers("state"))->body == "abc");

  // DELETE one; GET then 404; deleting again is still 204.
  auto del = c.Delete(state("progress").c_str(), headers("state"));
  REQUIRE(del);
  CHECK(del->status == 204);
  auto gone = c.Get(state("progress").c_str(), headers("state"));
  REQUIRE(gone);
  CHECK(gone->status == 404);
  CHECK(error_of(gone)["message"].get<std::string>().find("stateId \"progress\"") != std::string::npos);
  CHECK(c.Delete(state("progress").c_str(), headers("state"))->status == 204);
}

TEST_CASE("State: registration scoping, the ids list with since, DELETE of all", "[xapi][documents][integration]") {
  auto c = client();
  const std::string list = "/xapi/activities/state" + query({{"activityId", kCourse}, {"agent", kAda}});
  const std::string list_r1 = "/xapi/activities/state" + query({{"activityId", kCourse}, {"agent", kAda}, {"registration", kR1}});
  REQUIRE(c.Put(state("bookmark").c_str(), headers("reg"), "none", "text/plain")->status == 204);
  REQUIRE(c.Put(state("bookmark", kR1).c_str(), headers("reg"), "r1", "text/plain")->status == 204);
  REQUIRE(c.Put(state("score", kR2).c_str(), headers("reg"), "r2", "text/plain")->status == 204);

  // The same stateId with and without a registration are different documents.
  CHECK(c.Get(state("bookmark").c_str(), headers("reg"))->body == "none");
  CHECK(c.Get(state("bookmark", kR1).c_str(), headers("reg"))->body == "r1");
  CHECK(c.Get(state("score").c_str(), headers("reg"))->status == 404);
  CHECK(c.Get(state("score", kR1).c_str(), headers("reg"))->status == 404);

  CHECK(ids_of(c.Get(list_r1.c_str(), headers("reg"))) == json::array({"bookmark"}));
  // Without registration the list covers Activity + Agent (Communication 2.3), each id once.
  auto all = c.Get(list.c_str(), headers("reg"));
  CHECK(ids_of(all) == json::array({"bookmark", "score"}));
  CHECK(all->has_header("ETag"));
  CHECK(all->has_header("Last-Modified"));
  auto head = c.Head(list.c_str(), headers("reg"));
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());

  // since is exclusive: only what changed after it. Client and server share the machine's clock.
  const std::string before = core::format_rfc3339(std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now()));
  REQUIRE(c.Put(state("later").c_str(), headers("reg"), "x", "text/plain")->status == 204);
  CHECK(ids_of(c.Get((list + "&since=" + httplib::detail::encode_query_param(before)).c_str(), headers("reg"))) == json::array({"later"}));
  CHECK(ids_of(c.Get((list + "&since=2099-01-01T00:00:00Z").c_str(), headers("reg"))) == json::array());
  auto bad_since = c.Get((list + "&since=soon").c_str(), headers("reg"));
  REQUIRE(bad_since);
  CHECK(bad_since->status == 400);
  CHECK(error_of(bad_since)["field"] == "since");

  // DELETE without stateId: with a registration only that registration's documents...
  REQUIRE(c.Delete(list_r1.c_str(), headers("reg"))->status == 204);
  CHECK(c.Get(state("bookmark", kR1).c_str(), headers("reg"))->status == 404);
  CHECK(c.Get(state("bookmark").c_str(), headers("reg"))->status == 200);
  CHECK(c.Get(state("score", kR2).c_str(), headers("reg"))->status == 200);
  // ...without, every registration's.
  REQUIRE(c.Delete(list.c_str(), headers("reg"))->status == 204);
  CHECK(ids_of(c.Get(list.c_str(), headers("reg"))) == json::array());
  CHECK(c.Get(state("score", kR2).c_str(), headers("reg"))->status == 404);
}

TEST_CASE("Activity Profile: concurrency with If-Match / If-None-Match, 409 and 412", "[xapi][documents][integration]") {
  auto c = client();
  const std::string path = activity_profile("settings");
  // No document yet: a PUT needs If-Match or If-None-Match all the same (400 without, Communication 3.1);
  // If-None-Match: * creates it.
  auto bare = c.Put(path.c_str(), headers("prof"), R"({"v":0})", "application/json");
  REQUIRE(bare);
  CHECK(bare->status == 400);
  CHECK(error_of(bare)["field"] == "If-Match");
  CHECK(c.Get(path.c_str(), headers("prof"))->status == 404);
  auto first = c.Put(path.c_str(), headers("prof", {{"If-None-Match", "*"}}), R"({"v":1})", "application/json");
  REQUIRE(first);
  CHECK(first->status == 204);
  const std::string etag = etag_of(c, "prof", path);

  // The document exists: PUT without either header is 409 with the explanation, nothing changes.
  auto conflict = c.Put(path.c_str(), headers("prof"), R"({"v":2})", "application/json");
  REQUIRE(conflict);
  CHECK(conflict->status == 409);
  CHECK(error_of(conflict)["message"].get<std::string>().find("If-Match") != std::string::npos);
  auto stale = c.Put(path.c_str(), headers("prof", {{"If-Match", "\"0000000000000000000000000000000000000000\""}}),
                     R"({"v":3})", "application/json");
  REQUIRE(stale);
  CHECK(stale->status == 412);
  auto exists = c.Put(path.c_str(), headers("prof", {{"If-None-Match", "*"}}), R"({"v":4})", "application/json");
  REQUIRE(exists);
  CHECK(exists->status == 412);
  auto stale_post = c.Post(path.c_str(), headers("prof", {{"If-Match", "\"stale\""}}), R"({"w":1})", "application/json");
  REQUIRE(stale_post);
  CHECK(stale_post->status == 412);
  auto stale_delete = c.Delete(path.c_str(), headers("prof", {{"If-Match", "\"stale\""}}));
  REQUIRE(stale_delete);
  CHECK(stale_delete->status == 412);
  CHECK(c.Get(path.c_str(), headers("prof"))->body == R"({"v":1})");

  // GET with the current ETag in If-None-Match: 304.
  auto not_modified = c.Get(path.c_str(), headers("prof", {{"If-None-Match", etag}}));
  REQUIRE(not_modified);
  CHECK(not_modified->status == 304);

  // With the current ETag the write goes through, and the ETag changes with the content.
  auto ok = c.Put(path.c_str(), headers("prof", {{"If-Match", etag}}), R"({"v":5})", "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 204);
  const std::string etag2 = etag_of(c, "prof", path);
  CHECK(etag2 != etag);
  auto merged = c.Post(path.c_str(), headers("prof", {{"If-Match", etag2}}), R"({"w":1})", "application/json");
  REQUIRE(merged);
  CHECK(merged->status == 204);
  CHECK(json::parse(c.Get(path.c_str(), headers("prof"))->body) == json::parse(R"({"v":5,"w":1})"));
  // If-Match on a document that does not exist fails; If-None-Match: * creates.
  CHECK(c.Put(activity_profile("new").c_str(), headers("prof", {{"If-Match", "*"}}), "{}", "application/json")->status ==
        412);
  CHECK(c.Put(activity_profile("new").c_str(), headers("prof", {{"If-None-Match", "*"}}), "{}", "application/json")
            ->status == 204);

  auto list = c.Get(("/xapi/activities/profile" + query({{"activityId", kCourse}})).c_str(), headers("prof"));
  CHECK(ids_of(list) == json::array({"new", "settings"}));

  auto del = c.Delete(path.c_str(), headers("prof", {{"If-Match", etag_of(c, "prof", path)}}));
  REQUIRE(del);
  CHECK(del->status == 204);
  CHECK(c.Get(path.c_str(), headers("prof"))->status == 404);
  // A profile DELETE needs profileId (there is no DELETE of all profiles).
  auto del_all = c.Delete(("/xapi/activities/profile" + query({{"activityId", kCourse}})).c_str(), headers("prof"));
  REQUIRE(del_all);
  CHECK(del_all->status == 400);
  CHECK(error_of(del_all)["field"] == "profileId");
}

TEST_CASE("Agent Profile: PUT/GET/POST/DELETE, 409, since; the agent is identified, not matched textually",
          "[xapi][documents][integration]") {
  auto c = client();
  REQUIRE(c.Put(agent_profile("prefs").c_str(), headers("agentprof", {{"If-None-Match", "*"}}), R"({"lang":"en"})",
                "application/json")
              ->status == 204);
  // Same agent written differently (upper-case domain, no objectType, a name): the same documents.
  const std::string same_agent = R"({"mbox":"mailto:ada@EXAMPLE.com","name":"Ada"})";
  auto get = c.Get(("/xapi/agents/profile" + query({{"agent", same_agent}, {"profileId", "prefs"}})).c_str(),
                   headers("agentprof", {}, "2.0.0"));
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->body == R"({"lang":"en"})");
  CHECK(get->get_header_value("X-Experience-API-Version") == "2.0.0");

  CHECK(c.Put(agent_profile("prefs").c_str(), headers("agentprof"), "{}", "application/json")->status == 409);
  REQUIRE(c.Post(agent_profile("prefs").c_str(), headers("agentprof"), R"({"tz":"UTC"})", "application/json")->status ==
          204);
  CHECK(json::parse(c.Get(agent_profile("prefs").c_str(), headers("agentprof"))->body) ==
        json::parse(R"({"lang":"en","tz":"UTC"})"));

  const std::string list = "/xapi/agents/profile" + query({{"agent", kAda}});
  const std::string before = core::format_rfc3339(std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now()));
  REQUIRE(c.Put(agent_profile("avatar").c_str(), headers("agentprof", {{"If-None-Match", "*"}}), "png", "image/png")
              ->status == 204);
  CHECK(ids_of(c.Get(list.c_str(), headers("agentprof"))) == json::array({"avatar", "prefs"}));
  CHECK(ids_of(c.Get((list + "&since=" + httplib::detail::encode_query_param(before)).c_str(), headers("agentprof"))) == json::array({"avatar"}));

  REQUIRE(c.Delete(agent_profile("avatar").c_str(), headers("agentprof"))->status == 204);
  CHECK(ids_of(c.Get(list.c_str(), headers("agentprof"))) == json::array({"prefs"}));
}

TEST_CASE("Documents are scoped by tenant", "[xapi][documents][integration]") {
  auto c = client();
  REQUIRE(c.Put(state("secret").c_str(), headers("tenant-a"), "a's", "text/plain")->status == 204);
  REQUIRE(c.Put(activity_profile("p").c_str(), headers("tenant-a", {{"If-None-Match", "*"}}), "{}", "application/json")
              ->status == 204);
  CHECK(c.Get(state("secret").c_str(), headers("tenant-b"))->status == 404);
  CHECK(c.Get(activity_profile("p").c_str(), headers("tenant-b"))->status == 404);
  const std::string list = "/xapi/activities/state" + query({{"activityId", kCourse}, {"agent", kAda}});
  CHECK(ids_of(c.Get(list.c_str(), headers("tenant-b"))) == json::array());
  // Tenant b writing and deleting the same coordinates does not touch tenant a's documents.
  REQUIRE(c.Put(activity_profile("p").c_str(), headers("tenant-b", {{"If-None-Match", "*"}}), "[]", "application/json")
              ->status == 204);
  REQUIRE(c.Delete(list.c_str(), headers("tenant-b"))->status == 204);
  CHECK(c.Get(state("secret").c_str(), headers("tenant-a"))->body == "a's");
  CHECK(c.Get(activity_profile("p").c_str(), headers("tenant-a"))->body == "{}");

  // HTTP Basic credentials map to their tenant too.
  c.set_basic_auth("lms-key", "s3cret");
  const httplib::Headers version = {{"X-Experience-API-Version", "1.0.3"}};
  REQUIRE(c.Put(state("mine").c_str(), version, "basic's", "text/plain")->status == 204);
  auto own = c.Get(state("mine").c_str(), version);
  REQUIRE(own);
  CHECK(own->body == "basic's");
  CHECK(c.Get(state("mine").c_str(), headers("tenant-a"))->status == 404);
}

TEST_CASE("Concurrent PUTs with If-None-Match: * create the document exactly once", "[xapi][documents][integration]") {
  constexpr int kWriters = 8;
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      auto c = client();
      auto r = c.Put(activity_profile("race").c_str(), headers("race", {{"If-None-Match", "*"}}),
                     json{{"writer", i}}.dump(), "application/json");
      if (r && r->status == 204) ++created;
      else if (r && r->status == 412) ++refused;
      else ++other;
    });
  }
  for (auto& t : writers) t.join();
  CHECK(created == 1);
  CHECK(refused == kWriters - 1);
  CHECK(other == 0);
}

TEST_CASE("Document requests: 400, 401, 405 answers say what is wrong", "[xapi][documents][integration]") {
  auto c = client();
  const auto expect = [&](const httplib::Result& r, int status, const std::string& field, const std::string& words) {
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == status);
    if (!field.empty()) CHECK(error_of(r)["field"] == field);
    CHECK(error_of(r)["message"].get<std::string>().find(words) != std::string::npos);
  };
  const std::string base = "/xapi/activities/state";
  expect(c.Get((base + query({{"activityId", kCourse}, {"agent", kAda}, {"color", "red"}})).c_str(), headers("err")),
         400, "color", "Unknown parameter \"color\"");
  expect(c.Get((base + query({{"agent", kAda}})).c_str(), headers("err")), 400, "activityId", "requires the activityId");
  expect(c.Put((base + query({{"activityId", kCourse}, {"agent", kAda}})).c_str(), headers("err"), "x", "text/plain"),
         400, "stateId", "requires the stateId");
  expect(c.Get((base + query({{"activityId", "course"}, {"agent", kAda}})).c_str(), headers("err")), 400, "activityId",
         "must be an IRI");
  expect(c.Get((base + query({{"activityId", kCourse}, {"agent", "ada"}})).c_str(), headers("err")), 400, "agent",
         "Agent object as JSON");
  expect(c.Get((base + query({{"activityId", kCourse}, {"agent", R"({"mbox":"ada@example.com"})"}})).c_str(),
               headers("err")),
         400, "agent.mbox", "agent.mbox");
  expect(c.Get((base + query({{"activityId", kCourse},
                              {"agent", R"({"objectType":"Group","mbox":"mailto:team@example.com"})"}})).c_str(),
               headers("err")),
         400, "agent", "not a Group");
  expect(c.Get((base + query({{"activityId", kCourse}, {"agent", kAda}, {"registration", "r1"}})).c_str(), headers("err")),
         400, "registration", "must be a UUID");
  expect(c.Get(agent_profile("p").c_str(), headers("err", {}, "")), 400, "X-Experience-API-Version", "required");
  // A form-encoded document is content, not parameters.
  auto form = c.Put(state("form").c_str(), headers("err"), "a=1&b=2", "application/x-www-form-urlencoded");
  REQUIRE(form);
  CHECK(form->status == 204);
  CHECK(c.Get(state("form").c_str(), headers("err"))->body == "a=1&b=2");

  httplib::Client anonymous("127.0.0.1", lrs().http_port());
  auto unauthenticated = anonymous.Get(state("x").c_str(), httplib::Headers{{"X-Experience-API-Version", "1.0.3"}});
  REQUIRE(unauthenticated);
  CHECK(unauthenticated->status == 401);

  for (const char* path : {"/xapi/activities/state", "/xapi/activities/profile", "/xapi/agents/profile"}) {
    auto patch = c.Patch(path, headers("err"), "{}", "application/json");
    REQUIRE(patch);
    CHECK(patch->status == 405);
    CHECK(patch->get_header_value("Allow") == "GET, HEAD, PUT, POST, DELETE");
  }
  for (const char* path : {"/xapi/agents", "/xapi/activities"}) {
    auto put = c.Put(path, headers("err"), "{}", "application/json");
    REQUIRE(put);
    CHECK(put->status == 405);
    CHECK(put->get_header_value("Allow") == "GET, HEAD");
    auto del = c.Delete(path, headers("err"));
    REQUIRE(del);
    CHECK(del->status == 405);
  }
}

TEST_CASE("Agents: the Person object, with names from stored statements", "[xapi][documents][integration]") {
  auto c = client();
  const std::string grace = R"({"mbox":"mailto:grace@example.com","name":"Grace"})";
  auto alone = c.Get(("/xapi/agents" + query({{"agent", grace}})).c_str(), headers("agents"));
  REQUIRE(alone);
  INFO(alone->body);
  CHECK(alone->status == 200);
  CHECK(json::parse(alone->body) ==
        json::parse(R"({"objectType":"Person","name":["Grace"],"mbox":["mailto:grace@example.com"]})"));
  CHECK(alone->has_header("ETag"));
  auto head = c.Head(("/xapi/agents" + query({{"agent", grace}})).c_str(), headers("agents"));
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());

  const json statement = json::parse(R"({"actor":{"mbox":"mailto:grace@example.com","name":"Grace Hopper"},
      "verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/cobol"}})");
  auto posted = c.Post("/xapi/statements", headers("agents"), statement.dump(), "application/json");
  REQUIRE(posted);
  REQUIRE(posted->status == 200);
  CHECK(testing::wait_until([&] {
    auto r = c.Get(("/xapi/agents" + query({{"agent", grace}})).c_str(), headers("agents"));
    return r && r->status == 200 && json::parse(r->body)["name"] == json::array({"Grace", "Grace Hopper"});
  }));
  // Another tenant knows nothing of those statements.
  auto other = c.Get(("/xapi/agents" + query({{"agent", grace}})).c_str(), headers("agents-other"));
  REQUIRE(other);
  CHECK(json::parse(other->body)["name"] == json::array({"Grace"}));

  auto missing = c.Get("/xapi/agents", headers("agents"));
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK(error_of(missing)["field"] == "agent");
  auto group = c.Get(("/xapi/agents" + query({{"agent", R"({"objectType":"Group","member":[]})"}})).c_str(),
                     headers("agents"));
  REQUIRE(group);
  CHECK(group->status == 400);
  auto extra = c.Get(("/xapi/agents" + query({{"agent", grace}, {"limit", "1"}})).c_str(), headers("agents"));
  REQUIRE(extra);
  CHECK(extra->status == 400);
  CHECK(error_of(extra)["field"] == "limit");
}

TEST_CASE("Activities: the Activity object with its definition from stored statements", "[xapi][documents][integration]") {
  auto c = client();
  const std::string id = "http://example.com/activities/quiz-7";
  auto unknown = c.Get(("/xapi/activities" + query({{"activityId", id}})).c_str(), headers("acts"));
  REQUIRE(unknown);
  CHECK(unknown->status == 200);
  CHECK(json::parse(unknown->body) == json{{"objectType", "Activity"}, {"id", id}});
  CHECK(unknown->has_header("ETag"));

  json statement = json::parse(R"({"actor":{"mbox":"mailto:ada@example.com"},
      "verb":{"id":"http://adlnet.gov/expapi/verbs/attempted"},
      "object":{"id":"","definition":{"name":{"en-US":"Quiz 7"},"type":"http://adlnet.gov/expapi/activities/assessment"}}})");
  statement["object"]["id"] = id;
  REQUIRE(c.Post("/xapi/statements", headers("acts"), statement.dump(), "application/json")->status == 200);
  statement["object"]["definition"] = json::parse(R"({"name":{"fr-FR":"Quiz sept"}})");
  REQUIRE(c.Post("/xapi/statements", headers("acts"), statement.dump(), "application/json")->status == 200);
  const json expected = {{"objectType", "Activity"},
                         {"id", id},
                         {"definition",
                          {{"name", {{"en-US", "Quiz 7"}, {"fr-FR", "Quiz sept"}}},
                           {"type", "http://adlnet.gov/expapi/activities/assessment"}}}};
  CHECK(testing::wait_until([&] {
    auto r = c.Get(("/xapi/activities" + query({{"activityId", id}})).c_str(), headers("acts"));
    return r && r->status == 200 && json::parse(r->body) == expected;
  }));
  auto other = c.Get(("/xapi/activities" + query({{"activityId", id}})).c_str(), headers("acts-other"));
  REQUIRE(other);
  CHECK(json::parse(other->body) == json{{"objectType", "Activity"}, {"id", id}});

  auto bad = c.Get(("/xapi/activities" + query({{"activityId", "quiz"}})).c_str(), headers("acts"));
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(error_of(bad)["field"] == "activityId");
  auto missing = c.Get("/xapi/activities", headers("acts"));
  REQUIRE(missing);
  CHECK(missing->status == 400);
}

TEST_CASE("PUT as application/json must be JSON", "[xapi][documents][integration]") {
  auto c = client();
  auto broken = c.Put(state("json").c_str(), headers("json"), "{not json", "application/json");
  REQUIRE(broken);
  CHECK(broken->status == 400);
  CHECK(error_of(broken)["field"] == "Content-Type");
  CHECK(c.Get(state("json").c_str(), headers("json"))->status == 404);
}

TEST_CASE("The 1.0.3 alternate request syntax reaches every document resource", "[xapi][documents][integration]") {
  auto c = client();
  const auto form = [](httplib::Params fields) { return httplib::detail::params_to_query_str(fields); };
  const std::string type = "application/x-www-form-urlencoded";
  const std::string base = "/xapi/activities/state";
  const httplib::Params where = {{"activityId", kCourse}, {"agent", kAda}, {"stateId", "alt"}};
  const auto with = [&](httplib::Params extra) {
    httplib::Params p = where;
    p.insert(extra.begin(), extra.end());
    return p;
  };

  auto put = c.Post((base + "?method=PUT").c_str(), headers("alt"),
                    form(with({{"content", R"({"page":3})"}, {"Content-Type", "application/json"}})), type);
  REQUIRE(put);
  INFO(put->body);
  CHECK(put->status == 204);
  auto direct = c.Get(state("alt").c_str(), headers("alt"));
  REQUIRE(direct);
  CHECK(direct->body == R"({"page":3})");
  CHECK(direct->get_header_value("Content-Type") == "application/json");

  auto get = c.Post((base + "?method=GET").c_str(), headers("alt"), form(where), type);
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->body == R"({"page":3})");
  CHECK(get->get_header_value("ETag") == direct->get_header_value("ETag"));
  auto head = c.Post((base + "?method=HEAD").c_str(), headers("alt"), form(where), type);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());

  // Header fields in the form count as headers: a stale If-Match fails the profile PUT.
  REQUIRE(c.Put(activity_profile("alt").c_str(), headers("alt", {{"If-None-Match", "*"}}), "{}", "application/json")
              ->status == 204);
  auto stale = c.Post("/xapi/activities/profile?method=PUT", headers("alt"),
                      form({{"activityId", kCourse}, {"profileId", "alt"}, {"content", "[]"},
                            {"Content-Type", "application/json"}, {"If-Match", "\"stale\""}}),
                      type);
  REQUIRE(stale);
  CHECK(stale->status == 412);

  auto person = c.Post("/xapi/agents?method=GET", headers("alt"), form({{"agent", kAda}}), type);
  REQUIRE(person);
  CHECK(person->status == 200);
  CHECK(json::parse(person->body)["mbox"] == json::array({"mailto:ada@example.com"}));

  auto del = c.Post((base + "?method=DELETE").c_str(), headers("alt"), form(where), type);
  REQUIRE(del);
  CHECK(del->status == 204);
  CHECK(c.Get(state("alt").c_str(), headers("alt"))->status == 404);

  auto in_query = c.Post((base + "?method=GET&stateId=alt").c_str(), headers("alt"), form(where), type);
  REQUIRE(in_query);
  CHECK(in_query->status == 400);
  CHECK(error_of(in_query)["field"] == "stateId");
  auto v2 = c.Post((base + "?method=GET").c_str(), headers("alt", {}, "2.0.0"), form(where), type);
  REQUIRE(v2);
  CHECK(v2->status == 400);
  CHECK(error_of(v2)["message"].get<std::string>().find("2.0") != std::string::npos);
  auto patch = c.Post((base + "?method=PATCH").c_str(), headers("alt"), form(where), type);
  REQUIRE(patch);
  CHECK(patch->status == 400);
  CHECK(error_of(patch)["field"] == "method");
  auto put_agents = c.Post("/xapi/agents?method=PUT", headers("alt"), form({{"agent", kAda}}), type);
  REQUIRE(put_agents);
  CHECK(put_agents->status == 400);
  auto plain_post = c.Post("/xapi/agents", headers("alt"), "{}", "application/json");
  REQUIRE(plain_post);
  CHECK(plain_post->status == 405);
}

TEST_CASE("Communication 2.6 / 2.7 and 3.1: profile PUTs need If-Match or If-None-Match, in 1.0.3 and 2.0",
          "[xapi][documents][integration][conformance]") {
  auto c = client();
  for (const std::string version : {"1.0.3", "2.0.0"}) {
    for (const std::string& path : {activity_profile("needs-header-" + version), agent_profile("needs-header-" + version)}) {
      INFO(version << " PUT " << path);
      auto bare = c.Put(path.c_str(), headers("profput", {}, version), R"({"v":1})", "application/json");
      REQUIRE(bare);
      CHECK(bare->status == 400);
      CHECK(error_of(bare)["field"] == "If-Match");
      CHECK(bare->get_header_value("X-Experience-API-Version") == version);
      CHECK(c.Get(path.c_str(), headers("profput", {}, version))->status == 404);  // nothing was stored
      REQUIRE(c.Put(path.c_str(), headers("profput", {{"If-None-Match", "*"}}, version), R"({"v":1})", "application/json")
                  ->status == 204);
      auto again = c.Put(path.c_str(), headers("profput", {}, version), R"({"v":2})", "application/json");
      REQUIRE(again);
      CHECK(again->status == 409);
      CHECK(c.Get(path.c_str(), headers("profput", {}, version))->body == R"({"v":1})");
    }
  }
}

TEST_CASE("Communication 4.1.4 (2.0): a State PUT without If-Match or If-None-Match on an existing document is 409",
          "[xapi][documents][integration][conformance]") {
  auto c = client();
  const std::string path = state("v2-guarded");
  REQUIRE(c.Put(path.c_str(), headers("state20", {}, "2.0.0"), R"({"page":1})", "application/json")->status == 204);
  auto conflict = c.Put(path.c_str(), headers("state20", {}, "2.0.0"), R"({"page":2})", "application/json");
  REQUIRE(conflict);
  CHECK(conflict->status == 409);
  const std::string explanation = error_of(conflict)["message"];
  CHECK(explanation.find("If-Match") != std::string::npos);
  CHECK(explanation.find(etag_of(c, "state20", path)) != std::string::npos);
  CHECK(c.Get(path.c_str(), headers("state20"))->body == R"({"page":1})");  // nothing changed
  // With the current ETag the 2.0 PUT goes through; 1.0.3 State PUTs need no header.
  auto ok = c.Put(path.c_str(), headers("state20", {{"If-Match", etag_of(c, "state20", path)}}, "2.0.0"),
                  R"({"page":3})", "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 204);
  CHECK(c.Put(path.c_str(), headers("state20"), R"({"page":4})", "application/json")->status == 204);
  CHECK(c.Get(path.c_str(), headers("state20"))->body == R"({"page":4})");
}
