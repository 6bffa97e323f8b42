// A conformance-style suite for the LRS's statement handling, written from the xAPI Data part (1.0.3 and
// IEEE 9274.1.1 / 2.0, /work/shared/specs): for every rule at least one statement that follows it
// (accepted) and one that breaks it (rejected with the JSON path of the offending value). Each case names
// the section it comes from. Statement comparison (2.3.1), the storage form (4.5) and the JSON body rules
// (2.2: each property used once, depth) have their own tables below.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/xapi/formats.h"
#include "domain/xapi/statement_form.h"
#include "domain/xapi/statement_validation.h"
#include "transport/xapi_http.h"
#include "xapi_test_statements.h"

using namespace edfleet::ingest;
using namespace edfleet::ingest::xapi;
using nlohmann::json;

namespace {

enum class In { kBoth, k1_0, k2_0 };

// One change to the base statement: the JSON `value` put at JSON pointer `at`, or the value there removed
// when `value` is nullptr.
struct Edit {
  const char* at;
  const char* value;
};

struct Case {
  const char* section;  // where the rule is, e.g. "Data 2.4.2.1"
  const char* rule;
  std::vector<Edit> edits;
  const char* rejected_at;  // nullptr: valid; else the path the error names
  In versions = In::kBoth;
};

json apply(const std::vector<Edit>& edits) {
  json s = json::parse(xapi_test::kBaseStatement);
  for (const auto& e : edits) {
    const json::json_pointer p(e.at);
    if (e.value == nullptr) {
      s[p.parent_pointer()].erase(p.back());
    } else {
      s[p] = json::parse(e.value);
    }
  }
  return s;
}

void check(const Case& c) {
  for (const Version v : {Version::k1_0, Version::k2_0}) {
    if ((c.versions == In::k1_0 && v != Version::k1_0) || (c.versions == In::k2_0 && v != Version::k2_0)) continue;
    const json s = apply(c.edits);
    INFO(c.section << ": " << c.rule << (v == Version::k1_0 ? " [1.0.3]" : " [2.0]"));
    INFO(s.dump());
    const auto r = validate_statement(s, {v});
    if (c.rejected_at == nullptr) {
      if (!r) FAIL_CHECK("rejected: " << r.error().message);
      continue;
    }
    if (r) {
      FAIL_CHECK("accepted, expected an error at " << c.rejected_at);
      continue;
    }
    INFO(r.error().message);
    CHECK(r.error().field == c.rejected_at);
    // The message starts with the path, so a person sees where without reading `field`.
    CHECK(r.error().message.rfind(*c.rejected_at == '\0' ? "the statement" : c.rejected_at, 0) == 0);
  }
}

constexpr const char* kValid = nullptr;
const char* const kRef = R"({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"})";
const char* const kAgentObject = R"({"objectType": "Agent", "mbox": "mailto:bob@example.com"})";
const char* const kVoided = R"({"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}})";
const char* const kSub = R"({"objectType": "SubStatement", "actor": {"mbox": "mailto:bob@example.com"},
    "verb": {"id": "http://example.com/verbs/will-attend"}, "object": {"id": "http://example.com/meeting"},
    "timestamp": "2099-01-01T00:00:00Z"})";
const char* const kAttachment = R"([{"usageType": "http://example.com/attachment/certificate",
    "display": {"en-US": "Certificate"}, "description": {"en": "A certificate"}, "contentType": "application/pdf",
    "length": 12345, "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
    "fileUrl": "https://example.com/certificate.pdf"}])";

// Data 2.2 formatting requirements and 2.3.2 voiding.
const std::vector<Case> kFormatting = {
    {"Data 2.2", "a Statement MUST use actor, verb and object", {{"/actor", nullptr}}, "actor"},
    {"Data 2.2", "a Statement MUST use actor, verb and object", {{"/verb", nullptr}}, "verb"},
    {"Data 2.2", "a Statement MUST use actor, verb and object", {{"/object", nullptr}}, "object"},
    {"Data 2.2", "null values are rejected", {{"/actor/name", "null"}}, "actor.name"},
    {"Data 2.2", "null values are rejected", {{"/result", R"({"completion": null})"}}, "result.completion"},
    {"Data 2.2", "null is allowed inside extensions",
     {{"/result", R"({"extensions": {"http://example.com/ext": null}})"}}, kValid},
    {"Data 2.2", "a string where a boolean is required", {{"/result", R"({"success": "true"})"}}, "result.success"},
    {"Data 2.2", "a string where a number is required", {{"/result", R"({"score": {"raw": "5"}})"}}, "result.score.raw"},
    {"Data 2.2", "the empty string where an IRI is required", {{"/verb/id", R"("")"}}, "verb.id"},
    {"Data 2.2", "an IRI without a scheme", {{"/verb/id", R"("adlnet.gov/expapi/verbs/completed")"}}, "verb.id"},
    {"Data 2.2", "a key in the wrong case", {{"/Actor", R"({"mbox": "mailto:a@example.com"})"}}, "Actor"},
    {"Data 2.2", "an enumerated value in the wrong case", {{"/actor/objectType", R"("agent")"}}, "actor.objectType"},
    {"Data 2.2", "an additional property", {{"/context2", "{}"}}, "context2"},
    {"Data 2.2", "properties in any order (valid)", {{"/id", "\"fd41c918-b88b-4b20-a0a5-a4c32391aaa0\""}}, kValid},
    {"Data 2.3.2", "a voiding statement's object is a StatementRef", {{"/verb", kVoided}, {"/object", kRef}}, kValid},
    {"Data 2.3.2", "a voiding statement's object is a StatementRef", {{"/verb", kVoided}}, "object"},
    {"Data 2.3.2", "a voiding statement's object is a StatementRef", {{"/verb", kVoided}, {"/object", kAgentObject}},
     "object"},
    {"Data 2.4.1", "id is a UUID in standard form", {{"/id", R"("FD41C918-B88B-4B20-A0A5-A4C32391AAA0")"}}, kValid},
    {"Data 2.4.1", "id is a UUID in standard form", {{"/id", R"("fd41c918b88b4b20a0a5a4c32391aaa0")"}}, "id"},
    {"Data 2.4.1", "id is a UUID in standard form", {{"/id", R"("{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}")"}}, "id"},
    {"Data 2.4.1", "id is a string", {{"/id", "42"}}, "id"},
};

// Data 2.4.2 actor: Agents, Groups, inverse functional identifiers, accounts.
const std::vector<Case> kActors = {
    {"Data 2.4.2.1", "objectType is optional for an Agent", {{"/actor/objectType", nullptr}}, kValid},
    {"Data 2.4.2.1", "an Agent needs an IFI", {{"/actor/mbox", nullptr}}, "actor"},
    {"Data 2.4.2.1", "an Agent has at most one IFI", {{"/actor/openid", R"("http://openid.example.com/ada")"}}, "actor"},
    {"Data 2.4.2.1", "an Agent's name is a string", {{"/actor/name", "7"}}, "actor.name"},
    {"Data 2.4.2.1", "an Agent has no member", {{"/actor/member", "[]"}}, "actor.member"},
    {"Data 2.4.2.3", "mbox is a mailto IRI", {{"/actor/mbox", R"("ada@example.com")"}}, "actor.mbox"},
    {"Data 2.4.2.3", "mbox: the scheme is case-insensitive", {{"/actor/mbox", R"("MAILTO:ada@Example.COM")"}}, kValid},
    {"Data 2.4.2.3", "mbox is a mailto IRI", {{"/actor/mbox", R"("mailto:")"}}, "actor.mbox"},
    {"Data 2.4.2.3", "mbox_sha1sum is a hex SHA-1",
     {{"/actor/mbox", nullptr}, {"/actor/mbox_sha1sum", R"("ebd31e95054c018b10727ccffd2ef2ec3a016ee9")"}}, kValid},
    {"Data 2.4.2.3", "mbox_sha1sum is a hex SHA-1",
     {{"/actor/mbox", nullptr}, {"/actor/mbox_sha1sum", R"("ebd31e95054c018b1")"}}, "actor.mbox_sha1sum"},
    {"Data 2.4.2.3", "openid is a URI", {{"/actor/mbox", nullptr}, {"/actor/openid", R"("http://id.example.com/ada")"}},
     kValid},
    {"Data 2.4.2.3", "openid is a URI", {{"/actor/mbox", nullptr}, {"/actor/openid", R"("ada")"}}, "actor.openid"},
    {"Data 2.4.2.4", "account has homePage and name",
     {{"/actor/mbox", nullptr}, {"/actor/account", R"({"homePage": "https://lms.example.com", "name": "ada-1"})"}},
     kValid},
    {"Data 2.4.2.4", "account has homePage and name",
     {{"/actor/mbox", nullptr}, {"/actor/account", R"({"homePage": "https://lms.example.com"})"}}, "actor.account.name"},
    {"Data 2.4.2.4", "account.homePage is an IRL",
     {{"/actor/mbox", nullptr}, {"/actor/account", R"({"homePage": "lms.example.com", "name": "ada"})"}},
     "actor.account.homePage"},
    {"Data 2.4.2.4", "account has no other properties",
     {{"/actor/mbox", nullptr}, {"/actor/account", R"({"homePage": "https://x.com", "name": "a", "id": 1})"}},
     "actor.account.id"},
    {"Data 2.4.2.2", "an anonymous Group lists its members",
     {{"/actor", R"({"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]})"}}, kValid},
    {"Data 2.4.2.2", "an anonymous Group MUST include member", {{"/actor", R"({"objectType": "Group", "name": "x"})"}},
     "actor.member"},
    {"Data 2.4.2.2", "an identified Group MAY omit member",
     {{"/actor", R"({"objectType": "Group", "mbox": "mailto:team@example.com"})"}}, kValid},
    {"Data 2.4.2.2", "an identified Group has exactly one IFI",
     {{"/actor", R"({"objectType": "Group", "mbox": "mailto:t@example.com", "openid": "http://x.com/t"})"}}, "actor"},
    {"Data 2.4.2.2", "a Group MUST NOT contain Groups",
     {{"/actor", R"({"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@x.com"}]})"}},
     "actor.member[0].objectType"},
    {"Data 2.4.2.2", "members are valid Agents",
     {{"/actor", R"({"objectType": "Group", "member": [{"mbox": "mailto:a@x.com"}, {"name": "no IFI"}]})"}},
     "actor.member[1]"},
    {"Data 2.4.2.2", "a Group's objectType is required (else it is an Agent)",
     {{"/actor", R"({"member": [{"mbox": "mailto:a@example.com"}]})"}}, "actor.member"},
};

// Data 2.4.3 verb and 2.4.4 object.
const std::vector<Case> kVerbsAndObjects = {
    {"Data 2.4.3", "verb.id is an IRI", {{"/verb/id", R"("completed")"}}, "verb.id"},
    {"Data 2.4.3", "verb.id is required", {{"/verb", R"({"display": {"en-US": "completed"}})"}}, "verb.id"},
    {"Data 2.4.3", "verb.display is optional", {{"/verb/display", nullptr}}, kValid},
    {"Data 2.4.3", "verb.display is a language map", {{"/verb/display", R"("completed")"}}, "verb.display"},
    {"Data 4.2", "language map keys are RFC 5646 tags", {{"/verb/display", R"({"en_US": "completed"})"}},
     "verb.display.en_US"},
    {"Data 4.2", "language map values are strings", {{"/verb/display", R"({"en-US": null})"}}, "verb.display.en-US"},
    {"Data 4.2", "language tags in any case",
     {{"/verb/display", R"({"EN-us": "completed", "zh-Hant-TW": "完成", "sr-Latn-RS": "završeno"})"}}, kValid},
    {"Data 2.4.4", "objectType defaults to Activity", {{"/object/objectType", nullptr}}, kValid},
    {"Data 2.4.4", "objectType is one of the enumerated values", {{"/object/objectType", R"("Statement")"}},
     "object.objectType"},
    {"Data 2.4.4.1", "an Activity has an IRI id", {{"/object/id", R"("algebra 1")"}}, "object.id"},
    {"Data 2.4.4.1", "an Activity has an id", {{"/object/id", nullptr}}, "object.id"},
    {"Data 2.4.4.1", "a definition with name, description, type, moreInfo and extensions",
     {{"/object/definition", R"({"name": {"en": "Algebra"}, "description": {"en": "A course"},
        "type": "http://adlnet.gov/expapi/activities/course", "moreInfo": "https://lms.example.com/algebra",
        "extensions": {"http://example.com/ext/level": {"any": ["json", 1]}}})"}},
     kValid},
    {"Data 2.4.4.1", "definition.type is an IRI", {{"/object/definition", R"({"type": "course"})"}},
     "object.definition.type"},
    {"Data 2.4.4.1", "definition.moreInfo is an IRL", {{"/object/definition", R"({"moreInfo": "/algebra"})"}},
     "object.definition.moreInfo"},
    {"Data 2.4.4.1", "definition.name is a language map", {{"/object/definition", R"({"name": "Algebra"})"}},
     "object.definition.name"},
    {"Data 2.4.4.1", "no other definition properties", {{"/object/definition", R"({"title": {"en": "x"}})"}},
     "object.definition.title"},
    {"Data 4.1", "extension keys are IRIs", {{"/object/definition", R"({"extensions": {"level": 1}})"}},
     "object.definition.extensions.level"},
    {"Data 2.4.4.2", "an Agent object has objectType", {{"/object", kAgentObject}}, kValid},
    {"Data 2.4.4.2", "an Agent object MUST specify objectType", {{"/object", R"({"mbox": "mailto:bob@example.com"})"}},
     "object.objectType"},
    {"Data 2.4.4.2", "a Group object", {{"/object", R"({"objectType": "Group", "member": [{"mbox": "mailto:b@x.com"}]})"}},
     kValid},
    {"Data 2.4.4.3", "a StatementRef has objectType and a UUID id", {{"/object", kRef}}, kValid},
    {"Data 2.4.4.3", "a StatementRef's id is a UUID", {{"/object", R"({"objectType": "StatementRef", "id": "x"})"}},
     "object.id"},
    {"Data 2.4.4.3", "a StatementRef has no other properties",
     {{"/object", R"({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0", "definition": {}})"}},
     "object.definition"},
    {"Data 2.4.4.3", "a SubStatement is validated as a statement (future timestamp allowed)", {{"/object", kSub}},
     kValid},
    {"Data 2.4.4.3", "a SubStatement MUST NOT have id", {{"/object", kSub}, {"/object/id", R"("8f87ccde-bb56-4c2e-ab83-44982ef22df0")"}},
     "object.id"},
    {"Data 2.4.4.3", "a SubStatement MUST NOT have stored", {{"/object", kSub}, {"/object/stored", R"("2026-11-25T09:30:00Z")"}},
     "object.stored"},
    {"Data 2.4.4.3", "a SubStatement MUST NOT have version", {{"/object", kSub}, {"/object/version", R"("1.0.0")"}},
     "object.version"},
    {"Data 2.4.4.3", "a SubStatement MUST NOT have authority",
     {{"/object", kSub}, {"/object/authority", R"({"mbox": "mailto:a@x.com"})"}}, "object.authority"},
    {"Data 2.4.4.3", "a SubStatement MUST NOT contain a SubStatement", {{"/object", kSub}, {"/object/object", kSub}},
     "object.object.objectType"},
    {"Data 2.4.4.3", "a SubStatement needs a verb", {{"/object", kSub}, {"/object/verb", nullptr}}, "object.verb"},
    {"Data 2.4.4.3", "a SubStatement's actor follows the actor rules",
     {{"/object", kSub}, {"/object/actor/mbox", R"("bob")"}}, "object.actor.mbox"},
};

// Data 2.4.4.1 interaction activities: interactionType, the component lists it allows, response patterns.
const std::vector<Case> kInteractions = {
    {"Data 2.4.4.1", "interactionType is enumerated", {{"/object/definition", R"({"interactionType": "Choice"})"}},
     "object.definition.interactionType"},
    {"Data 2.4.4.1", "choice with choices and a pattern of their ids",
     {{"/object/definition", R"({"interactionType": "choice", "correctResponsesPattern": ["golf[,]tetris"],
        "choices": [{"id": "golf", "description": {"en-US": "Golf"}}, {"id": "tetris"}, {"id": "chess"}]})"}},
     kValid},
    {"Data 2.4.4.1", "a choice pattern names choice ids",
     {{"/object/definition", R"({"interactionType": "choice", "correctResponsesPattern": ["golf[,]poker"],
        "choices": [{"id": "golf"}, {"id": "tetris"}]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "component ids are distinct",
     {{"/object/definition", R"({"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]})"}},
     "object.definition.choices[1].id"},
    {"Data 2.4.4.1", "choices only for choice and sequencing",
     {{"/object/definition", R"({"interactionType": "true-false", "choices": [{"id": "a"}]})"}},
     "object.definition.choices"},
    {"Data 2.4.4.1", "component lists need an interactionType", {{"/object/definition", R"({"scale": [{"id": "a"}]})"}},
     "object.definition.scale"},
    {"Data 2.4.4.1", "correctResponsesPattern needs an interactionType",
     {{"/object/definition", R"({"correctResponsesPattern": ["a"]})"}}, "object.definition.correctResponsesPattern"},
    {"Data 2.4.4.1", "correctResponsesPattern is an array of strings",
     {{"/object/definition", R"({"interactionType": "fill-in", "correctResponsesPattern": [1]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "true-false patterns are true or false",
     {{"/object/definition", R"({"interactionType": "true-false", "correctResponsesPattern": ["true"]})"}}, kValid},
    {"Data 2.4.4.1", "true-false patterns are true or false",
     {{"/object/definition", R"({"interactionType": "true-false", "correctResponsesPattern": ["yes"]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "fill-in patterns are free text with characterstring parameters",
     {{"/object/definition", R"({"interactionType": "fill-in",
        "correctResponsesPattern": ["{case_matters=false}{lang=en}To store and provide access[,]Bob"]})"}},
     kValid},
    {"Data 2.4.4.1", "likert: a single scale id",
     {{"/object/definition", R"({"interactionType": "likert", "correctResponsesPattern": ["likert_3"],
        "scale": [{"id": "likert_0"}, {"id": "likert_3"}]})"}},
     kValid},
    {"Data 2.4.4.1", "likert: a single scale id",
     {{"/object/definition", R"({"interactionType": "likert", "correctResponsesPattern": ["likert_0[,]likert_3"],
        "scale": [{"id": "likert_0"}, {"id": "likert_3"}]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "matching: source[.]target pairs",
     {{"/object/definition", R"({"interactionType": "matching", "correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
        "source": [{"id": "ben"}, {"id": "chris"}], "target": [{"id": "2"}, {"id": "3"}]})"}},
     kValid},
    {"Data 2.4.4.1", "matching: source[.]target pairs",
     {{"/object/definition", R"({"interactionType": "matching", "correctResponsesPattern": ["ben[,]chris"]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "matching: target ids exist",
     {{"/object/definition", R"({"interactionType": "matching", "correctResponsesPattern": ["ben[.]9"],
        "source": [{"id": "ben"}], "target": [{"id": "2"}]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "performance: step[.]response items",
     {{"/object/definition", R"({"interactionType": "performance",
        "correctResponsesPattern": ["{order_matters=false}pong[.]1:[,]dg[.]:10"], "steps": [{"id": "pong"}, {"id": "dg"}]})"}},
     kValid},
    {"Data 2.4.4.1", "performance: step[.]response items",
     {{"/object/definition", R"({"interactionType": "performance", "correctResponsesPattern": ["pong"]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "sequencing: ordered choice ids",
     {{"/object/definition", R"({"interactionType": "sequencing", "correctResponsesPattern": ["tim[,]mike"],
        "choices": [{"id": "tim"}, {"id": "mike"}]})"}},
     kValid},
    {"Data 2.4.4.1", "numeric: a range min[:]max or a number",
     {{"/object/definition", R"({"interactionType": "numeric", "correctResponsesPattern": ["4[:]", "[:]10.5", "3[:]5", "7"]})"}},
     kValid},
    {"Data 2.4.4.1", "numeric: min not above max",
     {{"/object/definition", R"({"interactionType": "numeric", "correctResponsesPattern": ["5[:]3"]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "numeric: numbers only",
     {{"/object/definition", R"({"interactionType": "numeric", "correctResponsesPattern": ["four"]})"}},
     "object.definition.correctResponsesPattern[0]"},
    {"Data 2.4.4.1", "other: any format",
     {{"/object/definition", R"j({"interactionType": "other", "correctResponsesPattern": ["(35.937432,-86.868896)"]})j"}},
     kValid},
    {"Data 2.4.4.1", "components have a non-empty id and a language-map description",
     {{"/object/definition", R"({"interactionType": "likert", "scale": [{"id": "a", "description": "A"}]})"}},
     "object.definition.scale[0].description"},
};

// Data 2.4.5 result and 2.4.5.1 score.
const std::vector<Case> kResults = {
    {"Data 2.4.5", "a full result",
     {{"/result", R"({"score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100}, "success": true, "completion": true,
        "response": "We agreed on some example actions.", "duration": "PT1H0M0S",
        "extensions": {"http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\meetings\\minutes"}})"}},
     kValid},
    {"Data 2.4.5", "no other result properties", {{"/result", R"({"passed": true})"}}, "result.passed"},
    {"Data 2.4.5", "response is a string", {{"/result", R"({"response": 42})"}}, "result.response"},
    {"Data 4.6", "duration is an ISO 8601 duration", {{"/result", R"({"duration": "P3Y1M29DT4H35M59.14S"})"}}, kValid},
    {"Data 4.6", "duration: weeks stand alone", {{"/result", R"({"duration": "P4W1D"})"}}, "result.duration"},
    {"Data 4.6", "duration: the alternative format is not allowed", {{"/result", R"({"duration": "P0003-06-04T12:30:05"})"}},
     "result.duration"},
    {"Data 4.6", "duration: more than 0.01 s precision is not rejected", {{"/result", R"({"duration": "PT1.23456S"})"}},
     kValid},
    {"Data 2.4.5.1", "scaled is between -1 and 1", {{"/result", R"({"score": {"scaled": -1}})"}}, kValid},
    {"Data 2.4.5.1", "scaled is between -1 and 1", {{"/result", R"({"score": {"scaled": 1.01}})"}}, "result.score.scaled"},
    {"Data 2.4.5.1", "raw is between min and max", {{"/result", R"({"score": {"raw": 101, "min": 0, "max": 100}})"}},
     "result.score.raw"},
    {"Data 2.4.5.1", "raw is between min and max", {{"/result", R"({"score": {"raw": -1, "min": 0}})"}},
     "result.score.raw"},
    {"Data 2.4.5.1", "max is greater than min", {{"/result", R"({"score": {"min": 10, "max": 10}})"}},
     "result.score.max"},
    {"Data 2.4.5.1", "no other score properties", {{"/result", R"({"score": {"percent": 90}})"}}, "result.score.percent"},
    {"Data 4.1", "result extension keys are IRIs", {{"/result", R"({"extensions": {"minutes": 1}})"}},
     "result.extensions.minutes"},
};

// Data 2.4.6 context.
const std::vector<Case> kContexts = {
    {"Data 2.4.6", "a full context",
     {{"/context", R"({"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": {"mbox": "mailto:teacher@example.com"},
        "team": {"objectType": "Group", "name": "Team PB", "mbox": "mailto:teampb@example.com"},
        "contextActivities": {"parent": [{"id": "http://www.example.com/meetings/series/267"}],
                              "category": {"id": "http://www.example.com/meetings/categories/teammeeting"},
                              "grouping": [], "other": [{"id": "http://example.com/x", "objectType": "Activity"}]},
        "revision": "r2", "platform": "Example virtual meeting software", "language": "tlh",
        "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
        "extensions": {"http://example.com/profiles/meetings/contextextensions/topic": "Fish"}})"}},
     kValid},
    {"Data 2.4.6.1", "registration is a UUID", {{"/context", R"({"registration": "session-1"})"}}, "context.registration"},
    {"Data 2.4.6", "instructor is an Agent or Group", {{"/context", R"({"instructor": {"name": "no IFI"}})"}},
     "context.instructor"},
    {"Data 2.4.6", "team is a Group", {{"/context", R"({"team": {"mbox": "mailto:t@example.com"}})"}},
     "context.team.objectType"},
    {"Data 2.4.6.2", "contextActivities keys are parent, grouping, category, other",
     {{"/context", R"({"contextActivities": {"parents": [{"id": "http://example.com/p"}]}})"}},
     "context.contextActivities.parents"},
    {"Data 2.4.6.2", "contextActivities values are Activities",
     {{"/context", R"({"contextActivities": {"parent": [{"id": "p"}]}})"}}, "context.contextActivities.parent[0].id"},
    {"Data 2.4.6.2", "contextActivities values are Activities or arrays of them",
     {{"/context", R"({"contextActivities": {"parent": "http://example.com/p"}})"}}, "context.contextActivities.parent"},
    {"Data 2.4.6", "revision only with an Activity object", {{"/object", kAgentObject}, {"/context", R"({"revision": "r2"})"}},
     "context.revision"},
    {"Data 2.4.6", "platform only with an Activity object", {{"/object", kRef}, {"/context", R"({"platform": "VR"})"}},
     "context.platform"},
    {"Data 2.4.6", "platform with an Activity object (objectType omitted)",
     {{"/object/objectType", nullptr}, {"/context", R"({"platform": "VR"})"}}, kValid},
    {"Data 2.4.6", "revision is a string", {{"/context", R"({"revision": 2})"}}, "context.revision"},
    {"Data 2.4.6", "language is an RFC 5646 tag", {{"/context", R"({"language": "en_GB"})"}}, "context.language"},
    {"Data 2.4.6", "statement is a StatementRef", {{"/context", R"({"statement": {"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}})"}},
     "context.statement.objectType"},
    {"Data 4.1", "context extension keys are IRIs", {{"/context", R"({"extensions": {"topic": "Fish"}})"}},
     "context.extensions.topic"},
    {"Data 2.4.6", "no other context properties", {{"/context", R"({"location": "Paris"})"}}, "context.location"},
    {"2.0 Data 2.4.6", "contextAgents exist in 2.0",
     {{"/context", R"({"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:c@x.com"},
        "relevantTypes": ["http://example.com/types/coach"]}]})"}},
     kValid, In::k2_0},
    {"Data 2.4.6", "contextAgents do not exist in 1.0.3",
     {{"/context", R"({"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:c@x.com"}}]})"}},
     "context.contextAgents", In::k1_0},
    {"2.0 Data 2.4.6", "contextGroups hold Groups",
     {{"/context", R"({"contextGroups": [{"objectType": "contextGroup", "group": {"mbox": "mailto:g@x.com"}}]})"}},
     "context.contextGroups[0].group.objectType", In::k2_0},
};

// Data 2.4.7-2.4.11: timestamp, stored, authority, version, attachments.
const std::vector<Case> kLrsProperties = {
    {"Data 2.4.7", "timestamp with an offset", {{"/timestamp", R"("2026-11-25T10:30:00.123+01:00")"}}, kValid},
    {"Data 4.5 (1.0.3)", "timestamp: ISO 8601 basic format", {{"/timestamp", R"("20261125T093000,5Z")"}}, kValid, In::k1_0},
    {"Data 4.5 (2.0)", "timestamp: RFC 3339 only", {{"/timestamp", R"("20261125T093000Z")"}}, "timestamp", In::k2_0},
    {"Data 4.5 (1.0.3)", "timestamp: the zone is optional", {{"/timestamp", R"("2026-11-25T09:30:00")"}}, kValid, In::k1_0},
    {"Data 4.5 (2.0)", "timestamp: RFC 3339 needs a zone", {{"/timestamp", R"("2026-11-25T09:30:00")"}}, "timestamp",
     In::k2_0},
    {"Data 4.5", "timestamp: -00:00 is not ISO 8601", {{"/timestamp", R"("2026-11-25T09:30:00-00:00")"}}, "timestamp"},
    {"Data 4.5", "timestamp is a string", {{"/timestamp", "1764063000"}}, "timestamp"},
    {"Data 2.4.8", "stored is a timestamp (validated, then overwritten)", {{"/stored", R"("2026-11-25T09:30:01.000Z")"}},
     kValid},
    {"Data 2.4.8", "stored is a timestamp", {{"/stored", R"("now")"}}, "stored"},
    {"Data 2.4.9", "authority is an Agent",
     {{"/authority", R"({"objectType": "Agent", "account": {"homePage": "http://lrs.example.com", "name": "acme"}})"}},
     kValid},
    {"Data 2.4.9 (1.0.3)", "authority: an OAuth pair is an anonymous Group of two Agents",
     {{"/authority", R"({"objectType": "Group", "member": [{"account": {"homePage": "http://x.com/OAuth/Token",
        "name": "oauth_consumer_x75db"}}, {"mbox": "mailto:bob@example.com"}]})"}},
     kValid},
    {"Data 2.4.9", "authority: a Group of three is not an OAuth pair",
     {{"/authority", R"({"objectType": "Group", "member": [{"mbox": "mailto:a@x.com"}, {"mbox": "mailto:b@x.com"},
        {"mbox": "mailto:c@x.com"}]})"}},
     "authority"},
    {"Data 2.4.10", "version 1.0.x is accepted", {{"/version", R"("1.0.0")"}}, kValid},
    {"Data 2.4.10", "version 1.0.3 is accepted", {{"/version", R"("1.0.3")"}}, kValid},
    {"Data 2.4.10 (1.0.3)", "a version not starting with 1.0. is rejected", {{"/version", R"("2.0.0")"}}, "version",
     In::k1_0},
    {"Data 2.4.10 (2.0)", "2.0 accepts 2.0.x", {{"/version", R"("2.0.0")"}}, kValid, In::k2_0},
    {"Data 2.4.10", "an unknown version is rejected", {{"/version", R"("1.1.0")"}}, "version"},
    {"Data 2.4.10", "version is a string", {{"/version", "1.0"}}, "version"},
    {"Data 2.4.11", "an attachment with every property", {{"/attachments", kAttachment}}, kValid},
    {"Data 2.4.11", "attachments is an array", {{"/attachments", R"({})"}}, "attachments"},
    {"Data 2.4.11", "sha2 is required (even with fileUrl)", {{"/attachments", kAttachment}, {"/attachments/0/sha2", nullptr}},
     "attachments[0].sha2"},
    {"Data 2.4.11", "sha2 is a SHA-2 in hex", {{"/attachments", kAttachment}, {"/attachments/0/sha2", R"("abc123")"}},
     "attachments[0].sha2"},
    {"Data 2.4.11", "usageType is an IRI", {{"/attachments", kAttachment}, {"/attachments/0/usageType", R"("certificate")"}},
     "attachments[0].usageType"},
    {"Data 2.4.11", "display is required", {{"/attachments", kAttachment}, {"/attachments/0/display", nullptr}},
     "attachments[0].display"},
    {"Data 2.4.11", "contentType is an Internet Media Type",
     {{"/attachments", kAttachment}, {"/attachments/0/contentType", R"("pdf")"}}, "attachments[0].contentType"},
    {"Data 2.4.11", "contentType with parameters",
     {{"/attachments", kAttachment}, {"/attachments/0/contentType", R"("text/plain; charset=utf-8")"}}, kValid},
    {"Data 2.4.11", "length is a non-negative integer", {{"/attachments", kAttachment}, {"/attachments/0/length", "-5"}},
     "attachments[0].length"},
    {"Data 2.4.11", "fileUrl is an IRL", {{"/attachments", kAttachment}, {"/attachments/0/fileUrl", R"("cert.pdf")"}},
     "attachments[0].fileUrl"},
    {"Data 2.6", "a signature attachment is application/octet-stream",
     {{"/attachments", kAttachment},
      {"/attachments/0/usageType", R"("http://adlnet.gov/expapi/attachments/signature")"}},
     "attachments[0].contentType"},
    {"Data 2.6", "a signature attachment is application/octet-stream",
     {{"/attachments", kAttachment},
      {"/attachments/0/usageType", R"("http://adlnet.gov/expapi/attachments/signature")"},
      {"/attachments/0/contentType", R"("application/octet-stream")"}},
     kValid},
};

}  // namespace

TEST_CASE("Data part rules: for each a statement that follows it and one that breaks it", "[xapi][conformance]") {
  const std::vector<std::pair<const char*, const std::vector<Case>*>> tables = {
      {"Data 2.2 formatting, 2.3.2 voiding, 2.4.1 id", &kFormatting},
      {"Data 2.4.2 actor: Agents, Groups, identifiers, accounts", &kActors},
      {"Data 2.4.3 verb, 2.4.4 object, 4.2 language maps", &kVerbsAndObjects},
      {"Data 2.4.4.1 interaction activities", &kInteractions},
      {"Data 2.4.5 result and score, 4.6 durations", &kResults},
      {"Data 2.4.6 context", &kContexts},
      {"Data 2.4.7-2.4.11 timestamp, stored, authority, version, attachments", &kLrsProperties},
  };
  for (const auto& [name, cases] : tables) {
    DYNAMIC_SECTION(name) {
      for (const auto& c : *cases) check(c);
    }
  }
}

TEST_CASE("Data 4.5 timestamps: ISO 8601 variants in 1.0.3, RFC 3339 in 2.0", "[xapi][conformance]") {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  const auto at = [](const char* text, Version v) { return parse_timestamp(text, v); };
  const auto utc = *at("2026-11-25T09:30:00Z", Version::k2_0);
  struct Row {
    const char* text;
    std::optional<edfleet::core::Timestamp> v1;  // nullopt: rejected
    std::optional<edfleet::core::Timestamp> v2;
  };
  const std::vector<Row> rows = {
      {"2026-11-25T09:30:00Z", utc, utc},
      {"2026-11-25T09:30:00.500Z", utc + milliseconds(500), utc + milliseconds(500)},
      {"2026-11-25t09:30:00z", std::nullopt, utc},                  // RFC 3339 5.6 NOTE: lowercase allowed
      {"2026-11-25T10:30:00+01:00", utc, utc},
      {"2026-11-25T04:00:00-05:30", utc, utc},
      {"2026-11-25T10:30:00+0100", utc, std::nullopt},              // basic offset
      {"2026-11-25T10:30:00+01", utc, std::nullopt},                // hour-only offset
      {"2026-11-25T09:30:00", utc, std::nullopt},                   // local time, taken as UTC
      {"20261125T093000Z", utc, std::nullopt},                      // basic format
      {"20261125T103000+0100", utc, std::nullopt},
      {"20261125T093000,5Z", utc + milliseconds(500), std::nullopt},  // decimal comma
      {"2026-11-25T09:30:00,5Z", utc + milliseconds(500), std::nullopt},
      {"2026-11-25T09:30Z", utc, std::nullopt},                     // reduced accuracy: minutes
      {"2026-11-25T09Z", utc - minutes(30), std::nullopt},          // reduced accuracy: hours
      {"20261125T0930Z", utc, std::nullopt},
      {"2026-11-24T24:00:00Z", utc - hours(9) - minutes(30), std::nullopt},  // end of day
      {"2026-329T09:30:00Z", utc, std::nullopt},                    // ordinal date (25 November is day 329)
      {"2026329T093000Z", utc, std::nullopt},
      {"2026-W48-3T09:30:00Z", utc, std::nullopt},                  // week date (Wednesday of week 48)
      {"2026W483T093000Z", utc, std::nullopt},
      {"2025-W53-1T00:00:00Z", std::nullopt, std::nullopt},         // 2025 has 52 ISO weeks
      {"2026-W53-4T00:00:00Z", *at("2026-12-31T00:00:00Z", Version::k2_0), std::nullopt},  // 2026 has 53
      {"2020-W53-5T00:00:00Z", *at("2021-01-01T00:00:00Z", Version::k2_0), std::nullopt},  // 2020 has 53
      {"2021-W01-1T00:00:00Z", *at("2021-01-04T00:00:00Z", Version::k2_0), std::nullopt},
      {"2026-366T00:00:00Z", std::nullopt, std::nullopt},           // not a leap year
      {"2024-366T00:00:00Z", *at("2024-12-31T00:00:00Z", Version::k2_0), std::nullopt},
      {"2026-W48-8T09:30:00Z", std::nullopt, std::nullopt},
      {"2026-11-25T24:00:01Z", std::nullopt, std::nullopt},
      {"2026-11-25T09:30:00-00:00", std::nullopt, std::nullopt},    // "unknown offset" is not ISO 8601
      {"2026-11-25 09:30:00Z", std::nullopt, std::nullopt},         // not ISO 8601
      {"2026-11-25T093000Z", std::nullopt, std::nullopt},           // extended date, basic time
      {"20261125T09:30:00Z", std::nullopt, std::nullopt},           // basic date, extended time
      {"20261125T093000+01:00", std::nullopt, std::nullopt},        // basic time, extended offset
      {"2026-11-25", std::nullopt, std::nullopt},
      {"2026-02-30T09:30:00Z", std::nullopt, std::nullopt},
      {"2026-11-25T09:30:00.Z", std::nullopt, std::nullopt},
      {"0000-01-01T00:00:00Z", std::nullopt, std::nullopt},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    CHECK(at(row.text, Version::k1_0) == row.v1);
    CHECK(at(row.text, Version::k2_0) == row.v2);
  }
}

TEST_CASE("Data 4.5 (2.0): the LRS stores timestamps in UTC; 1.0.3 keeps them as sent", "[xapi][conformance]") {
  json s = json::parse(xapi_test::kBaseStatement);
  s["timestamp"] = "2026-11-25T10:30:00.123456+01:00";
  s["object"] = json::parse(kSub);
  s["object"]["timestamp"] = "2099-01-01T01:00:00+01:00";
  json v2 = s;
  normalise_for_storage(v2, Version::k2_0);
  CHECK(v2["timestamp"] == "2026-11-25T09:30:00.123456Z");
  CHECK(v2["object"]["timestamp"] == "2099-01-01T00:00:00.000Z");
  CHECK(comparison_hash(v2) == comparison_hash(s));  // the same instant: the same statement
  json v1 = s;
  normalise_for_storage(v1, Version::k1_0);
  CHECK(v1 == s);
  CHECK(normalised_timestamp("20261125T103000+0100", Version::k1_0) == "2026-11-25T09:30:00.000Z");
  CHECK_FALSE(normalised_timestamp("20261125T103000+0100", Version::k2_0));
}

namespace {

struct Comparison {
  const char* section;
  const char* rule;
  std::vector<Edit> left;
  std::vector<Edit> right;
  bool same;
};

const std::vector<Comparison> kComparisons = {
    {"Data 2.3.1", "LRS-assigned authority, stored and version are ignored",
     {{"/authority", R"({"mbox": "mailto:lrs@example.com"})"}, {"/stored", R"("2026-11-25T09:31:00Z")"},
      {"/version", R"("1.0.0")"}},
     {}, true},
    {"Data 2.3.1", "timestamps compare as instants", {{"/timestamp", R"("2026-11-25T10:30:00+01:00")"}},
     {{"/timestamp", R"("2026-11-25T09:30:00.000Z")"}}, true},
    {"Data 2.3.1", "timestamps compare as instants (1.0.3 basic format)", {{"/timestamp", R"("20261125T093000Z")"}},
     {}, true},
    {"Data 2.3.1", "different instants differ", {{"/timestamp", R"("2026-11-25T09:30:00.001Z")"}}, {}, false},
    {"Data 4.6", "durations compare to 0.01 s", {{"/result", R"({"duration": "PT1.504S"})"}},
     {{"/result", R"({"duration": "PT1.5S"})"}}, true},
    {"Data 4.6", "durations compare to 0.01 s", {{"/result", R"({"duration": "PT1,50S"})"}},
     {{"/result", R"({"duration": "PT1.5S"})"}}, true},
    {"Data 4.6", "durations differing by 0.01 s differ", {{"/result", R"({"duration": "PT1.51S"})"}},
     {{"/result", R"({"duration": "PT1.5S"})"}}, false},
    {"Data 2.3.1", "a duration is otherwise a string (PT60S is not PT1M)", {{"/result", R"({"duration": "PT60S"})"}},
     {{"/result", R"({"duration": "PT1M"})"}}, false},
    {"Data 2.3.1", "the Verb's display is not part of the statement", {{"/verb/display", R"({"fr": "terminé"})"}}, {},
     true},
    {"Data 2.3.1", "Activity definitions are not part of the statement",
     {{"/object/definition", R"({"name": {"en": "Algebra"}})"}}, {{"/object/objectType", nullptr}}, true},
    {"Data 2.3.1", "Group members are unordered",
     {{"/actor", R"({"objectType": "Group", "member": [{"mbox": "mailto:a@x.com"}, {"mbox": "mailto:b@x.com"}]})"}},
     {{"/actor", R"({"objectType": "Group", "member": [{"mbox": "mailto:b@x.com"}, {"objectType": "Agent", "mbox": "mailto:a@x.com"}]})"}},
     true},
    {"Data 2.3.1", "ids are case-insensitive", {{"/id", R"("FD41C918-B88B-4B20-A0A5-A4C32391AAA0")"}}, {}, true},
    {"Data 2.3.1", "registration and StatementRef ids are case-insensitive",
     {{"/context", R"({"registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7"})"},
      {"/object", R"({"objectType": "StatementRef", "id": "8F87CCDE-BB56-4C2E-AB83-44982EF22DF0"})"}},
     {{"/context", R"({"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"})"}, {"/object", kRef}}, true},
    {"Data 2.3.1", "the mbox scheme and domain are case-insensitive", {{"/actor/mbox", R"("MAILTO:ada@EXAMPLE.com")"}},
     {}, true},
    {"Data 2.3.1", "the mbox local part is case-sensitive", {{"/actor/mbox", R"("mailto:Ada@example.com")"}}, {},
     false},
    {"Data 2.3.1", "language tags are case-insensitive", {{"/context", R"({"language": "en-US"})"}},
     {{"/context", R"({"language": "en-us"})"}}, true},
    {"Data 2.3.1", "an Agent's optional objectType", {{"/actor/objectType", nullptr}}, {}, true},
    {"Data 2.3.1", "contextActivities: an Activity or an array of one",
     {{"/context", R"({"contextActivities": {"parent": {"id": "http://example.com/p"}}})"}},
     {{"/context", R"({"contextActivities": {"parent": [{"id": "http://example.com/p"}]}})"}}, true},
    {"Data 2.3.1", "numbers compare by value", {{"/result", R"({"score": {"raw": 1}})"}},
     {{"/result", R"({"score": {"raw": 1.0}})"}}, true},
    {"Data 2.3.1", "other values are compared exactly", {{"/result", R"({"response": "Yes"})"}},
     {{"/result", R"({"response": "yes"})"}}, false},
    {"Data 2.3.1", "extensions are compared", {{"/result", R"({"extensions": {"http://x.com/e": 1}})"}},
     {{"/result", R"({"extensions": {"http://x.com/e": 2}})"}}, false},
    {"Data 2.3.1", "attachment hashes are hex (case-insensitive)",
     {{"/attachments", kAttachment}},
     {{"/attachments", kAttachment},
      {"/attachments/0/sha2", R"("672FA5FA658017F1B72D65036F13379C6AB05D4AB3B6664908D8ACF0B6A0C634")"}},
     true},
};

}  // namespace

TEST_CASE("Data 2.3.1 statement comparison requirements", "[xapi][conformance]") {
  for (const auto& c : kComparisons) {
    INFO(c.section << ": " << c.rule);
    const json left = apply(c.left);
    const json right = apply(c.right);
    INFO(left.dump() << " vs " << right.dump());
    REQUIRE(validate_statement(left, {Version::k1_0}).ok());
    REQUIRE(validate_statement(right, {Version::k1_0}).ok());
    CHECK((comparison_hash(left) == comparison_hash(right)) == c.same);
  }
  // The same actor, however its mbox is cased, is one learner (Kafka key, related_agents).
  CHECK(actor_key(json::parse(R"({"mbox": "MAILTO:ada@EXAMPLE.com"})")) == "mbox:mailto:ada@example.com");
}

TEST_CASE("Data 2.2: a property is used once; JSON bodies are parsed with a depth limit", "[xapi][conformance]") {
  struct Row {
    const char* body;
    const char* field;  // nullptr: accepted
    const char* key;
  };
  const std::vector<Row> rows = {
      {R"({"actor": {}, "verb": {}, "actor": {}})", "actor", "the top-level object"},
      {R"({"actor": {"mbox": "mailto:a@x.com", "name": "A", "mbox": "mailto:b@x.com"}})", "actor.mbox",
       "the object at actor"},
      {R"([{"id": 1}, {"a": {"b": [0, {"c": 1, "c": 2}]}}])", "[1].a.b[1].c", "the object at [1].a.b[1]"},
      {R"({"verb": {"display": {"en-US": "x", "en-US": "y"}}})", "verb.display.en-US", "the object at verb.display"},
      // The same key in sibling objects, or in nested ones, is fine.
      {R"([{"id": 1, "a": {"id": 2}}, {"id": 3}])", nullptr, nullptr},
      {R"({"a": [{"x": 1}, {"x": 2}], "b": {"x": 3}})", nullptr, nullptr},
  };
  for (const auto& row : rows) {
    INFO(row.body);
    const auto r = parse_json_text(row.body);
    if (row.field == nullptr) {
      CHECK(r.ok());
      continue;
    }
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message);
    CHECK(r.error().code == edfleet::core::ErrorCode::kInvalidArgument);
    CHECK(r.error().field == row.field);
    CHECK(r.error().message.find(row.key) != std::string::npos);
  }
  const auto named = parse_json_text(R"({"actor": 1, "actor": 2})");
  REQUIRE_FALSE(named.ok());
  CHECK(named.error().message ==
        "The JSON body has the key \"actor\" more than once in the top-level object (a property may be used only once).");

  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(parse_json_text(nested(100)).ok());
  const auto deep = parse_json_text(nested(101));
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message.find("100 levels") != std::string::npos);
  const auto unclosed = parse_json_text(std::string(5000, '['));
  REQUIRE_FALSE(unclosed.ok());
  CHECK(unclosed.error().message.find("100 levels") != std::string::npos);

  const auto broken = parse_json_text(R"({"actor": })");
  REQUIRE_FALSE(broken.ok());
  INFO(broken.error().message);
  CHECK(broken.error().message.rfind("The body is not valid JSON: line 1, column", 0) == 0);
}

TEST_CASE("Communication 3.2: unknown parameters, parameters in the wrong case, repeated ones", "[xapi][conformance]") {
  struct Row {
    std::vector<std::pair<std::string, std::string>> params;
    const char* field;  // nullptr: accepted
    const char* says;
  };
  const std::vector<Row> rows = {
      {{{"statementId", "x"}}, nullptr, nullptr},
      {{}, nullptr, nullptr},
      {{{"statementId", "x"}, {"color", "red"}}, "color", "Unknown parameter \"color\" for PUT /xapi/statements."},
      {{{"statementID", "x"}}, "statementID", "did you mean \"statementId\"?"},
      {{{"statementId", "x"}, {"statementId", "y"}}, "statementId", "more than once"},
  };
  for (const auto& row : rows) {
    httplib::Request req;
    for (const auto& [name, value] : row.params) req.params.emplace(name, value);
    INFO((row.field ? row.field : "(valid)"));
    const auto r = check_parameters(req, {"statementId"}, "PUT /xapi/statements");
    if (row.field == nullptr) {
      CHECK(r.ok());
      continue;
    }
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message);
    CHECK(r.error().field == row.field);
    CHECK(r.error().message.find(row.says) != std::string::npos);
  }
}

TEST_CASE("Data 4.5 / 4.6 (2.0): answers to 2.0 requests carry UTC timestamps; fine durations are accepted",
          "[xapi][conformance]") {
  // Stored under 1.0.3 with the zone it was sent with (statement and SubStatement), answered to 2.0 in UTC.
  json s = json::parse(xapi_test::kBaseStatement);
  s["timestamp"] = "2026-11-25T10:30:00.123+01:00";
  s["object"] = json::parse(kSub);
  s["object"]["timestamp"] = "20261125T093000";  // ISO 8601 basic, no zone: UTC
  s["stored"] = "2026-11-25T09:31:00.000Z";
  const json utc = json::parse(as_answered(s.dump(), Version::k2_0));
  CHECK(utc["timestamp"] == "2026-11-25T09:30:00.123Z");
  CHECK(utc["object"]["timestamp"] == "2026-11-25T09:30:00.000Z");
  CHECK(utc["stored"] == "2026-11-25T09:31:00.000Z");
  CHECK(comparison_hash(utc) == comparison_hash(s));
  CHECK(as_answered(s.dump(), Version::k1_0) == s.dump());  // 1.0.3 readers: as stored
  // Already UTC (stored under 2.0): the very same text, not re-serialised.
  const std::string stored_utc = utc.dump();
  CHECK(as_answered(stored_utc, Version::k2_0) == stored_utc);

  // Data 4.6: "On receiving a Duration with more than 0.01 second precision, the LRS SHOULD* NOT reject the
  // request but MAY truncate": accepted in both versions, and the same statement as its truncation.
  for (const Version v : {Version::k1_0, Version::k2_0}) {
    for (const char* duration : {"PT1M30.123456S", "PT0.0001S", "P3Y1M29DT4H35M59.145678S", "PT16559.14159S"}) {
      json fine = json::parse(xapi_test::kBaseStatement);
      fine["result"] = {{"duration", duration}};
      INFO(duration << (v == Version::k1_0 ? " [1.0.3]" : " [2.0]"));
      CHECK(validate_statement(fine, {v}).ok());
    }
  }
  json fine = json::parse(xapi_test::kBaseStatement);
  fine["result"] = {{"duration", "PT1M30.123456S"}};
  json truncated = fine;
  truncated["result"]["duration"] = "PT1M30.12S";
  CHECK(comparison_hash(fine) == comparison_hash(truncated));
}

TEST_CASE("Communication 2.1.3: format=canonical keeps one entry per language map for any Accept-Language",
          "[xapi][conformance]") {
  json s = json::parse(xapi_test::kBaseStatement);
  s["verb"]["display"] = {{"en-US", "completed"}, {"fr-FR", "terminé"}, {"de", "abgeschlossen"}};
  s["object"]["definition"] = {{"name", {{"en-US", "Algebra"}, {"fr-FR", "Algèbre"}}},
                               {"interactionType", "choice"},
                               {"choices", json::array({{{"id", "a"}, {"description", {{"en", "A"}, {"fr", "Un"}}}}})}};
  // Headers a browser or library sends, and malformed ones: none may fail the request.
  const std::vector<std::string> headers = {"fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "en-US,en;q=0.9", "*",
                                            "de-CH", "", ",", ";q=0.5", "en;q=", "en;q=abc", "en;q=1e999", "fr;q=nan",
                                            "-", "en--US", "EN", "zh-Hant-TW;q=0.3, x-pig-latin", "  fr  ;  q=0.2 "};
  for (const auto& header : headers) {
    INFO("Accept-Language: \"" << header << "\"");
    json canonical;
    REQUIRE_NOTHROW(canonical = canonical_format(s, accepted_languages(header)));
    CHECK(canonical["verb"]["display"].size() == 1);
    CHECK(canonical["object"]["definition"]["name"].size() == 1);
    CHECK(canonical["object"]["definition"]["choices"][0]["description"].size() == 1);
  }
  CHECK(canonical_format(s, accepted_languages("de;q=0.8, fr;q=0.9"))["verb"]["display"] == json{{"fr-FR", "terminé"}});

  // RFC 2616 14.4 per language map: a range matches its tag or a longer tag it is a prefix of ("fr" matches
  // "fr-FR"); the most preferred range that matches wins, even over a same-language guess.
  json maps = json::parse(xapi_test::kBaseStatement);
  maps["verb"]["display"] = {{"en-GB", "finished"}, {"fr-FR", "terminé"}};
  const auto display_for = [&](const char* header) {
    return canonical_format(maps, accepted_languages(header))["verb"]["display"];
  };
  CHECK(display_for("en-US, fr;q=0.9") == json{{"fr-FR", "terminé"}});
  CHECK(display_for("en, en-GB;q=0.2, fr;q=0.5") == json{{"fr-FR", "terminé"}});  // the longest range decides
  CHECK(display_for("en-US") == json{{"en-GB", "finished"}});  // nothing matches: the same primary language
  CHECK(display_for("fr;q=0.5, en-GB") == json{{"en-GB", "finished"}});
  CHECK(display_for("de, *;q=0.1") == json{{"en-GB", "finished"}});  // "*": any, the first
  CHECK(display_for("FR-fr") == json{{"fr-FR", "terminé"}});
  CHECK(accepted_languages("en;Q=0.5, fr") == std::vector<std::string>{"fr", "en"});  // parameter names: any case
}

TEST_CASE("Data 2.4.6.2: statements stored with single context activities are answered with arrays",
          "[xapi][conformance]") {
  // Stored before the LRS made them arrays on write: both versions' readers get arrays.
  json s = json::parse(xapi_test::kBaseStatement);
  s["context"] = {{"contextActivities", {{"parent", {{"id", "https://lms.example.com/course"}}},
                                         {"other", json::array({{{"id", "https://lms.example.com/tag"}}})}}}};
  s["object"] = json::parse(kSub);
  s["object"]["context"] = {{"contextActivities", {{"category", {{"id", "https://w3id.org/xapi/scorm"}}}}}};
  for (const Version v : {Version::k1_0, Version::k2_0}) {
    const json answered = json::parse(as_answered(s.dump(), v));
    CHECK(answered["context"]["contextActivities"]["parent"] ==
          json::array({{{"id", "https://lms.example.com/course"}}}));
    CHECK(answered["context"]["contextActivities"]["other"] == s["context"]["contextActivities"]["other"]);
    CHECK(answered["object"]["context"]["contextActivities"]["category"] ==
          json::array({{{"id", "https://w3id.org/xapi/scorm"}}}));
    json parsed = s;
    normalise_for_answer(parsed, v);
    CHECK(parsed == answered);
  }
  // Stored with arrays (everything the LRS stores now): the text as it is.
  json arrays = s;
  normalise_for_storage(arrays, Version::k1_0);
  CHECK(as_answered(arrays.dump(), Version::k1_0) == arrays.dump());
}
