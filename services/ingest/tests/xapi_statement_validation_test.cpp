// xAPI statement validation, written from the Data part of the specification (1.0.3 and 2.0): for each
// rule statements that follow it (accepted) and ones that break it (rejected with the JSON path).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "domain/xapi/statement_validation.h"
#include "xapi_test_statements.h"

using namespace edfleet::ingest::xapi;
using nlohmann::json;

namespace {

json base() { return json::parse(edfleet::ingest::xapi_test::kBaseStatement); }

// The base statement with the value at JSON pointer `where` replaced by (or set to) the JSON `value`.
json set(const std::string& where, const std::string& value, json s = base()) {
  s[json::json_pointer(where)] = json::parse(value);
  return s;
}

// The base statement without the value at `where`.
json without(const std::string& where, json s = base()) {
  const json::json_pointer p(where);
  s[p.parent_pointer()].erase(p.back());
  return s;
}

void accepted(const json& s, Version v = Version::k1_0) {
  INFO(s.dump());
  const auto r = validate_statement(s, {v});
  if (!r) FAIL_CHECK(r.error().message);
}

void rejected(const json& s, const std::string& field, Version v = Version::k1_0) {
  INFO(s.dump());
  const auto r = validate_statement(s, {v});
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().field == field);
  // Messages start with the path they are about, so a person sees where without reading `field`.
  CHECK(r.error().message.rfind(field.empty() ? "the statement" : field, 0) == 0);
}

void reject_both(const json& s, const std::string& field) {
  rejected(s, field, Version::k1_0);
  rejected(s, field, Version::k2_0);
}

void accept_both(const json& s) {
  accepted(s, Version::k1_0);
  accepted(s, Version::k2_0);
}

const char* const kMember = R"({"mbox": "mailto:m@example.com"})";
const char* const kGroup = R"({"objectType": "Group", "member": [{"mbox": "mailto:m@example.com"}]})";
const char* const kAgentObject = R"({"objectType": "Agent", "mbox": "mailto:b@example.com"})";
const char* const kRefId = "8f87ccde-bb56-4c2e-ab83-44982ef22df0";

}  // namespace

TEST_CASE("a minimal statement is valid in both versions", "[xapi][statement]") {
  accept_both(json::parse(R"({"actor": {"mbox": "mailto:a@example.com"},
                              "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                              "object": {"id": "http://example.com/a"}})"));
  accept_both(base());
}

TEST_CASE("statement: required properties, known names only, case-sensitive", "[xapi][statement]") {
  reject_both(without("/actor"), "actor");
  reject_both(without("/verb"), "verb");
  reject_both(without("/object"), "object");
  reject_both(set("/Actor", kMember), "Actor");
  reject_both(set("/objectType", R"("Statement")"), "objectType");
  reject_both(set("/foo", "1"), "foo");
  reject_both(json::array(), "");
  reject_both(json("statement"), "");
  // Null is never a valid value (no xAPI property is nullable).
  reject_both(set("/result", R"({"success": null})"), "result.success");
  reject_both(set("/timestamp", "null"), "timestamp");
  const auto r = validate_statement(set("/Verb", "1"), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("did you mean \"verb\"") != std::string::npos);
}

TEST_CASE("statement id is a UUID", "[xapi][statement]") {
  accept_both(set("/id", R"("FD41C918-B88B-4B20-A0A5-A4C32391AAA0")"));
  reject_both(set("/id", R"("not-a-uuid")"), "id");
  reject_both(set("/id", "12"), "id");
  reject_both(set("/id", R"("fd41c918b88b4b20a0a5a4c32391aaa0")"), "id");
}

TEST_CASE("version is 1.0.x or 2.0.x", "[xapi][statement]") {
  accept_both(set("/version", R"("1.0.3")"));
  accepted(set("/version", R"("2.0.0")"), Version::k2_0);
  rejected(set("/version", R"("2.0.0")"), "version", Version::k1_0);  // 1.0.3: MUST start with "1.0."
  reject_both(set("/version", R"("0.95")"), "version");
  reject_both(set("/version", R"("1.1.0")"), "version");
  reject_both(set("/version", "1.0"), "version");
}

TEST_CASE("Agent: exactly one inverse functional identifier in a valid format", "[xapi][actor]") {
  accept_both(set("/actor", R"({"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"})"));
  accept_both(set("/actor", R"({"openid": "http://openid.example.org/12345"})"));
  accept_both(set("/actor", R"({"account": {"homePage": "http://www.example.com", "name": "1625378"}})"));
  accept_both(set("/actor", R"({"objectType": "Agent", "mbox": "mailto:a@example.com"})"));
  reject_both(set("/actor", R"({"name": "no identifier"})"), "actor");
  reject_both(set("/actor", R"({"mbox": "mailto:a@example.com", "openid": "http://openid.example.org/1"})"), "actor");
  reject_both(set("/actor", R"({"mbox": "ada@example.com"})"), "actor.mbox");
  reject_both(set("/actor", R"({"mbox_sha1sum": "abc"})"), "actor.mbox_sha1sum");
  reject_both(set("/actor", R"({"openid": "not a uri"})"), "actor.openid");
  reject_both(set("/actor", R"({"account": {"name": "x"}})"), "actor.account.homePage");
  reject_both(set("/actor", R"({"account": {"homePage": "http://x.com"}})"), "actor.account.name");
  reject_both(set("/actor", R"({"account": {"homePage": "example.com", "name": "x"}})"), "actor.account.homePage");
  reject_both(set("/actor", R"({"account": {"homePage": "http://x.com", "name": 7}})"), "actor.account.name");
  reject_both(set("/actor", R"({"account": {"homePage": "http://x.com", "name": "x", "id": 1}})"), "actor.account.id");
  reject_both(set("/actor", R"({"account": "x"})"), "actor.account");
  reject_both(set("/actor/name", "5"), "actor.name");
  reject_both(set("/actor/objectType", R"("agent")"), "actor.objectType");
  reject_both(set("/actor/objectType", R"("Person")"), "actor.objectType");
  reject_both(set("/actor/member", "[]"), "actor.member");
  reject_both(set("/actor", R"("mailto:a@example.com")"), "actor");
}

TEST_CASE("Group: anonymous needs members, identified has one IFI, members are Agents", "[xapi][actor]") {
  accept_both(set("/actor", kGroup));
  accept_both(set("/actor", R"({"objectType": "Group", "name": "Team",
                                "account": {"homePage": "http://x.com", "name": "t"}})"));
  accept_both(set("/actor", R"({"objectType": "Group", "mbox": "mailto:team@example.com",
                                "member": [{"mbox": "mailto:m@example.com"}]})"));
  reject_both(set("/actor", R"({"objectType": "Group"})"), "actor.member");
  reject_both(set("/actor", R"({"objectType": "Group", "member": []})"), "actor.member");
  reject_both(set("/actor", R"({"objectType": "Group", "member": {"mbox": "mailto:m@example.com"}})"), "actor.member");
  reject_both(set("/actor", R"({"objectType": "Group", "member": [{"objectType": "Group",
                                "member": [{"mbox": "mailto:m@example.com"}]}]})"),
              "actor.member[0].objectType");
  reject_both(set("/actor", R"({"objectType": "Group", "member": [{"name": "x"}]})"), "actor.member[0]");
  reject_both(set("/actor", R"({"objectType": "Group", "member": [{"mbox": "x"}]})"), "actor.member[0].mbox");
  reject_both(set("/actor", R"({"objectType": "Group", "mbox": "mailto:t@example.com",
                                "openid": "http://openid.example.org/t"})"),
              "actor");
  reject_both(set("/actor", R"({"objectType": "Group", "member": [{"mbox": "mailto:m@example.com"}], "size": 1})"),
              "actor.size");
}

TEST_CASE("Verb: id IRI and display language map", "[xapi][verb]") {
  accept_both(without("/verb/display"));
  accept_both(set("/verb/display", R"({"en-US": "completed", "fr": "terminé", "zh-Hant-TW": "完成"})"));
  reject_both(without("/verb/id"), "verb.id");
  reject_both(set("/verb/id", R"("completed")"), "verb.id");
  reject_both(set("/verb/display", R"({"en_US": "completed"})"), "verb.display.en_US");
  reject_both(set("/verb/display", R"({"en-US": 1})"), "verb.display.en-US");
  reject_both(set("/verb/display", R"("completed")"), "verb.display");
  reject_both(set("/verb/Display", R"({"en-US": "x"})"), "verb.Display");
  reject_both(set("/verb", R"("http://adlnet.gov/expapi/verbs/completed")"), "verb");
}

TEST_CASE("Activity object and its definition", "[xapi][object]") {
  accept_both(without("/object/objectType"));
  accept_both(set("/object/definition", R"({"name": {"en-US": "Algebra"}, "description": {"en-US": "A course"},
      "type": "http://adlnet.gov/expapi/activities/course", "moreInfo": "https://lms.example.com/algebra",
      "extensions": {"http://example.com/ext/level": 3}})"));
  reject_both(without("/object/id"), "object.id");
  reject_both(set("/object/id", R"("algebra-1")"), "object.id");
  reject_both(set("/object/objectType", R"("activity")"), "object.objectType");
  reject_both(set("/object/objectType", R"("Course")"), "object.objectType");
  reject_both(set("/object/name", R"("x")"), "object.name");
  reject_both(set("/object/definition", "[]"), "object.definition");
  reject_both(set("/object/definition", R"({"name": "Algebra"})"), "object.definition.name");
  reject_both(set("/object/definition", R"({"description": {"en_GB": "x"}})"), "object.definition.description.en_GB");
  reject_both(set("/object/definition", R"({"type": "course"})"), "object.definition.type");
  reject_both(set("/object/definition", R"({"moreInfo": "www.example.com"})"), "object.definition.moreInfo");
  reject_both(set("/object/definition", R"({"extensions": {"level": 3}})"), "object.definition.extensions.level");
  reject_both(set("/object/definition", R"({"extensions": []})"), "object.definition.extensions");
  reject_both(set("/object/definition", R"({"Name": {"en": "x"}})"), "object.definition.Name");
}

TEST_CASE("interaction activities: interactionType and the component lists it allows", "[xapi][object]") {
  const auto def = [](const std::string& d) { return set("/object/definition", d); };
  const std::string choices = R"([{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}])";
  accept_both(def(R"({"interactionType": "true-false", "correctResponsesPattern": ["true"]})"));
  accept_both(def(R"({"interactionType": "choice", "correctResponsesPattern": ["a[,]b"], "choices": )" + choices + "}"));
  accept_both(def(R"({"interactionType": "sequencing", "choices": )" + choices + "}"));
  accept_both(def(R"({"interactionType": "likert", "scale": )" + choices + "}"));
  accept_both(def(R"({"interactionType": "matching", "source": )" + choices + R"(, "target": )" + choices + "}"));
  accept_both(def(R"({"interactionType": "performance", "steps": )" + choices + "}"));
  accept_both(def(R"({"interactionType": "fill-in", "correctResponsesPattern": []})"));
  for (const char* t : {"long-fill-in", "numeric", "other"}) {
    accept_both(def(std::string(R"({"interactionType": ")") + t + "\"}"));
  }
  reject_both(def(R"({"interactionType": "essay"})"), "object.definition.interactionType");
  reject_both(def(R"({"interactionType": "Choice"})"), "object.definition.interactionType");
  reject_both(def(R"({"correctResponsesPattern": ["true"]})"), "object.definition.correctResponsesPattern");
  reject_both(def(R"({"choices": )" + choices + "}"), "object.definition.choices");
  reject_both(def(R"({"interactionType": "choice", "correctResponsesPattern": "a"})"),
              "object.definition.correctResponsesPattern");
  reject_both(def(R"({"interactionType": "choice", "correctResponsesPattern": [1]})"),
              "object.definition.correctResponsesPattern[0]");
  reject_both(def(R"({"interactionType": "true-false", "choices": )" + choices + "}"), "object.definition.choices");
  reject_both(def(R"({"interactionType": "choice", "scale": )" + choices + "}"), "object.definition.scale");
  reject_both(def(R"({"interactionType": "likert", "steps": )" + choices + "}"), "object.definition.steps");
  reject_both(def(R"({"interactionType": "performance", "source": )" + choices + "}"), "object.definition.source");
  reject_both(def(R"({"interactionType": "sequencing", "target": )" + choices + "}"), "object.definition.target");
  reject_both(def(R"({"interactionType": "choice", "choices": [{"description": {"en": "x"}}]})"),
              "object.definition.choices[0].id");
  reject_both(def(R"({"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]})"),
              "object.definition.choices[1].id");
  reject_both(def(R"({"interactionType": "choice", "choices": [{"id": ""}]})"), "object.definition.choices[0].id");
  reject_both(def(R"({"interactionType": "choice", "choices": [{"id": "a", "name": "x"}]})"),
              "object.definition.choices[0].name");
  reject_both(def(R"({"interactionType": "choice", "choices": [{"id": "a", "description": {"en-": "x"}}]})"),
              "object.definition.choices[0].description.en-");
  reject_both(def(R"({"interactionType": "choice", "choices": {"id": "a"}})"), "object.definition.choices");
}

TEST_CASE("Agent, Group and StatementRef as the object", "[xapi][object]") {
  accept_both(set("/object", kAgentObject));
  accept_both(set("/object", kGroup));
  accept_both(set("/object", std::string(R"({"objectType": "StatementRef", "id": ")") + kRefId + "\"}"));
  // Without objectType the object is an Activity, so an Agent must say what it is.
  reject_both(set("/object", R"({"mbox": "mailto:b@example.com"})"), "object.objectType");
  reject_both(set("/object", R"({"objectType": "Agent"})"), "object");
  reject_both(set("/object", R"({"objectType": "StatementRef", "id": "x"})"), "object.id");
  reject_both(set("/object", R"({"objectType": "StatementRef"})"), "object.id");
  reject_both(set("/object", std::string(R"({"objectType": "StatementRef", "definition": {}, "id": ")") + kRefId + "\"}"),
              "object.definition");
  reject_both(set("/object", R"({"objectType": "Statement", "id": "http://example.com"})"), "object.objectType");
}

TEST_CASE("SubStatement: a statement without id/stored/version/authority, not nested", "[xapi][object]") {
  const std::string sub = R"({"objectType": "SubStatement", "actor": {"mbox": "mailto:b@example.com"},
      "verb": {"id": "http://example.com/verbs/will-visit"}, "object": {"id": "http://example.com/museum"},
      "timestamp": "2026-12-01T10:00:00Z", "context": {"platform": "Example"}, "result": {"success": true}})";
  accept_both(set("/object", sub));
  reject_both(set("/object/id", std::string("\"") + kRefId + "\"", set("/object", sub)), "object.id");
  reject_both(set("/object/stored", R"("2026-11-25T09:30:00Z")", set("/object", sub)), "object.stored");
  reject_both(set("/object/version", R"("1.0.3")", set("/object", sub)), "object.version");
  reject_both(set("/object/authority", kMember, set("/object", sub)), "object.authority");
  reject_both(set("/object/object", sub, set("/object", sub)), "object.object.objectType");
  reject_both(without("/object/verb", set("/object", sub)), "object.verb");
  reject_both(set("/object/actor/mbox", R"("b@example.com")", set("/object", sub)), "object.actor.mbox");
  reject_both(set("/object/result/success", R"("yes")", set("/object", sub)), "object.result.success");
  // revision/platform are about the SubStatement's own object.
  reject_both(set("/object/object", kAgentObject, set("/object", sub)), "object.context.platform");
}

TEST_CASE("Result: score ranges, booleans, response, ISO 8601 duration, extensions", "[xapi][result]") {
  accept_both(set("/result", R"({"score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100}, "success": true,
      "completion": false, "response": "We agreed on some example actions.", "duration": "PT1H0M0S",
      "extensions": {"http://example.com/ext/attempts": 2}})"));
  accept_both(set("/result", R"({"score": {"scaled": -1}})"));
  accept_both(set("/result", R"({"score": {"raw": -5}})"));
  accept_both(set("/result", R"({"score": {"raw": 0, "min": 0, "max": 1}})"));
  accept_both(set("/result", "{}"));
  reject_both(set("/result", R"({"score": {"scaled": 1.01}})"), "result.score.scaled");
  reject_both(set("/result", R"({"score": {"scaled": -1.5}})"), "result.score.scaled");
  reject_both(set("/result", R"({"score": {"scaled": "0.5"}})"), "result.score.scaled");
  reject_both(set("/result", R"({"score": {"raw": 101, "min": 0, "max": 100}})"), "result.score.raw");
  reject_both(set("/result", R"({"score": {"raw": -1, "min": 0}})"), "result.score.raw");
  reject_both(set("/result", R"({"score": {"raw": 11, "max": 10}})"), "result.score.raw");
  reject_both(set("/result", R"({"score": {"min": 10, "max": 10}})"), "result.score.max");
  reject_both(set("/result", R"({"score": {"min": 10, "max": 5}})"), "result.score.max");
  reject_both(set("/result", R"({"score": {"percent": 5}})"), "result.score.percent");
  reject_both(set("/result", R"({"score": 5})"), "result.score");
  reject_both(set("/result", R"({"success": "true"})"), "result.success");
  reject_both(set("/result", R"({"completion": 1})"), "result.completion");
  reject_both(set("/result", R"({"response": 42})"), "result.response");
  reject_both(set("/result", R"({"duration": "1 hour"})"), "result.duration");
  reject_both(set("/result", R"({"duration": "P0003-06-04T12:30:05"})"), "result.duration");
  reject_both(set("/result", R"({"extensions": {"attempts": 2}})"), "result.extensions.attempts");
  reject_both(set("/result", R"({"Success": true})"), "result.Success");
  reject_both(set("/result", "true"), "result");
}

TEST_CASE("Context: registration, instructor, team, contextActivities, revision/platform, language, statement",
          "[xapi][context]") {
  accept_both(set("/context", std::string(R"({
      "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
      "instructor": {"mbox": "mailto:teacher@example.com"},
      "team": {"objectType": "Group", "member": [{"mbox": "mailto:b@example.com"}]},
      "contextActivities": {
        "parent": {"id": "http://example.com/course", "objectType": "Activity"},
        "grouping": [{"id": "http://example.com/course"}, {"id": "http://example.com/program"}],
        "category": [{"id": "http://example.com/profile", "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}],
        "other": []},
      "revision": "r2", "platform": "Example LMS", "language": "en-US",
      "statement": {"objectType": "StatementRef", "id": ")") + kRefId + R"("},
      "extensions": {"http://example.com/ext/room": "B12"}})"));
  accept_both(set("/context", std::string(R"({"instructor": )") + kGroup + "}"));
  reject_both(set("/context", R"({"registration": "abc"})"), "context.registration");
  reject_both(set("/context", R"({"instructor": {"name": "no identifier"}})"), "context.instructor");
  reject_both(set("/context", R"({"team": {"mbox": "mailto:t@example.com"}})"), "context.team.objectType");
  reject_both(set("/context", R"({"team": {"objectType": "Group"}})"), "context.team.member");
  reject_both(set("/context", R"({"contextActivities": {"parent": {"id": "course"}}})"),
              "context.contextActivities.parent.id");
  reject_both(set("/context", R"({"contextActivities": {"parent": [{"id": "course"}]}})"),
              "context.contextActivities.parent[0].id");
  reject_both(set("/context", R"({"contextActivities": {"parent": "http://example.com/course"}})"),
              "context.contextActivities.parent");
  reject_both(set("/context", R"({"contextActivities": {"sibling": {"id": "http://example.com/course"}}})"),
              "context.contextActivities.sibling");
  reject_both(set("/context", R"({"contextActivities": {"other": [{"objectType": "Agent", "mbox": "mailto:x@y.z"}]}})"),
              "context.contextActivities.other[0].objectType");
  reject_both(set("/context", R"({"contextActivities": []})"), "context.contextActivities");
  reject_both(set("/context", R"({"revision": 2})"), "context.revision");
  reject_both(set("/context", R"({"platform": false})"), "context.platform");
  reject_both(set("/context", R"({"language": "en_GB"})"), "context.language");
  reject_both(set("/context", std::string(R"({"statement": {"id": ")") + kRefId + "\"}}"),
              "context.statement.objectType");
  reject_both(set("/context", R"({"statement": {"objectType": "StatementRef", "id": "x"}})"), "context.statement.id");
  reject_both(set("/context", R"({"extensions": {"room": "B12"}})"), "context.extensions.room");
  reject_both(set("/context", R"({"Registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"})"), "context.Registration");
  const auto r = validate_statement(set("/context", R"({"contextActivities": {"parent": [{"id": "course"}]}})"), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "context.contextActivities.parent[0].id must be an IRI with a scheme; got \"course\".");
}

TEST_CASE("Context revision and platform only when the object is an Activity", "[xapi][context]") {
  const json agent_object = set("/object", kAgentObject);
  accept_both(set("/context", R"({"language": "en"})", agent_object));
  reject_both(set("/context", R"({"revision": "1"})", agent_object), "context.revision");
  reject_both(set("/context", R"({"platform": "x"})", agent_object), "context.platform");
  reject_both(set("/context", R"({"platform": "x"})", set("/object", kGroup)), "context.platform");
}

TEST_CASE("2.0 contextAgents and contextGroups (not in 1.0.3)", "[xapi][context]") {
  const std::string ok = R"({
    "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:peer@example.com"},
                       "relevantTypes": ["http://example.com/types/peer"]}],
    "contextGroups": [{"objectType": "contextGroup",
                       "group": {"objectType": "Group", "member": [{"mbox": "mailto:b@example.com"}]}}]})";
  accepted(set("/context", ok), Version::k2_0);
  rejected(set("/context", ok), "context.contextAgents", Version::k1_0);
  const auto v2 = [](const std::string& context, const std::string& field) {
    rejected(set("/context", context), field, Version::k2_0);
  };
  v2(R"({"contextAgents": {"objectType": "contextAgent"}})", "context.contextAgents");
  v2(R"({"contextAgents": [{"objectType": "Agent", "agent": {"mbox": "mailto:p@x.com"}}]})",
     "context.contextAgents[0].objectType");
  v2(R"({"contextAgents": [{"objectType": "contextAgent"}]})", "context.contextAgents[0].agent");
  v2(R"({"contextAgents": [{"objectType": "contextAgent", "agent": {"name": "x"}}]})", "context.contextAgents[0].agent");
  v2(R"({"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:p@x.com"}, "relevantTypes": []}]})",
     "context.contextAgents[0].relevantTypes");
  v2(R"({"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:p@x.com"}, "relevantTypes": ["peer"]}]})",
     "context.contextAgents[0].relevantTypes[0]");
  v2(R"({"contextGroups": [{"objectType": "contextGroup", "group": {"mbox": "mailto:p@x.com"}}]})",
     "context.contextGroups[0].group.objectType");
  v2(R"({"contextGroups": [{"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:g@x.com"},
                            "extra": 1}]})",
     "context.contextGroups[0].extra");
}

TEST_CASE("timestamp and stored: ISO 8601 in 1.0.3, RFC 3339 with a zone in 2.0", "[xapi][statement]") {
  accept_both(set("/stored", R"("2026-11-25T09:30:00.123Z")", set("/timestamp", R"("2026-11-25T10:30:00+01:00")")));
  accepted(set("/timestamp", R"("2026-11-25T09:30:00")"), Version::k1_0);
  rejected(set("/timestamp", R"("2026-11-25T09:30:00")"), "timestamp", Version::k2_0);
  rejected(set("/timestamp", R"("2026-11-25T10:30:00+0100")"), "timestamp", Version::k2_0);
  reject_both(set("/timestamp", R"("2026-11-25T09:30:00-00:00")"), "timestamp");
  reject_both(set("/timestamp", R"("25/11/2026")"), "timestamp");
  reject_both(set("/timestamp", "1764063000"), "timestamp");
  reject_both(set("/stored", R"("yesterday")"), "stored");
}

TEST_CASE("authority: an Agent, or an anonymous Group of two Agents", "[xapi][statement]") {
  accept_both(set("/authority", R"({"objectType": "Agent", "account": {"homePage": "http://lrs.example.com", "name": "acme"}})"));
  accept_both(set("/authority", R"({"objectType": "Group", "member": [
      {"account": {"homePage": "http://oauth.example.com", "name": "app"}}, {"mbox": "mailto:user@example.com"}]})"));
  reject_both(set("/authority", kGroup), "authority");
  reject_both(set("/authority", R"({"name": "no identifier"})"), "authority");
}

TEST_CASE("attachments: usageType, display, contentType, length, sha2, fileUrl", "[xapi][attachments]") {
  const json attachment = json::parse(R"({"usageType": "http://adlnet.gov/expapi/attachments/signature",
      "display": {"en-US": "Signature"}, "description": {"en-US": "A test signature"},
      "contentType": "application/octet-stream", "length": 4235,
      "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
      "fileUrl": "https://example.com/signature.bin"})");
  accept_both(set("/attachments", json::array({attachment}).dump()));
  for (const char* key : {"usageType", "display", "contentType", "length", "sha2"}) {
    json a = attachment;
    a.erase(key);
    reject_both(set("/attachments", json::array({a}).dump()), std::string("attachments[0].") + key);
  }
  const auto bad = [&](const char* key, const char* value) {
    json a = attachment;
    a[key] = json::parse(value);
    reject_both(set("/attachments", json::array({attachment, a}).dump()), std::string("attachments[1].") + key);
  };
  bad("usageType", R"("signature")");
  bad("display", R"("Signature")");
  bad("description", R"(["x"])");
  bad("contentType", R"("binary")");
  bad("length", "-1");
  bad("length", "1.5");
  bad("length", R"("4235")");
  bad("sha2", R"("not-hex!")");
  bad("fileUrl", R"("signature.bin")");
  bad("name", R"("x")");
  reject_both(set("/attachments", attachment.dump()), "attachments");
}

TEST_CASE("errors carry the batch prefix in path and message", "[xapi][statement]") {
  const auto r = validate_statement(set("/verb/id", R"("completed")"), {}, "[3]");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().field == "[3].verb.id");
  CHECK(r.error().message == "[3].verb.id must be an IRI with a scheme; got \"completed\".");
}

TEST_CASE("a voiding statement's object is a StatementRef", "[xapi][statement]") {
  const json voiding = set("/verb", R"({"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}})");
  accept_both(set("/object", std::string(R"({"objectType": "StatementRef", "id": ")") + kRefId + "\"}", voiding));
  reject_both(voiding, "object");
  reject_both(set("/object", kAgentObject, voiding), "object");
}
