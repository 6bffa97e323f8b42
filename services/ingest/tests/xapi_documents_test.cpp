// The xAPI document resources' domain (Communication 2.2-2.7, 3.1): parameters, preconditions, the POST
// merge, the use case over an in-memory store, and the Person / Activity objects.
#include <catch2/catch.hpp>

#include <map>
#include <tuple>

#include "domain/xapi/documents.h"
#include "edfleet/core/time_format.h"
#include "ports/xapi_document_store.h"

using namespace edfleet;
using namespace edfleet::ingest;
using namespace edfleet::ingest::xapi;
using nlohmann::json;

namespace {

const std::string kAda = R"({"mbox":"mailto:ada@example.com"})";
const std::string kCourse = "http://example.com/course/1";
const std::string kRegistration = "6C1C2D4E-0F4B-4E2A-9C1E-0A0B0C0D0E01";

core::Timestamp at(const char* text) { return *core::parse_rfc3339(text); }

// Documents in a map; the ETag is a counter so every write changes it, as a content hash would.
class FakeDocumentStore final : public XapiDocumentStore {
 public:
  using Id = std::tuple<std::string, int, std::string, std::string, std::string, std::string>;
  static Id id_of(const DocumentKey& k) {
    return {k.scope.tenant, static_cast<int>(k.scope.kind), k.scope.activity_id, k.scope.agent_key,
            k.scope.registration.value_or(""), k.id};
  }
  static bool in_scope(const Id& id, const DocumentScope& s) {
    return std::get<0>(id) == s.tenant && std::get<1>(id) == static_cast<int>(s.kind) &&
           std::get<2>(id) == s.activity_id && std::get<3>(id) == s.agent_key &&
           (!s.registration || std::get<4>(id) == *s.registration);
  }

  core::Result<void> modify(const DocumentKey& key, const Decide& decide) override {
    const auto it = documents.find(id_of(key));
    std::optional<Document> current;
    if (it != documents.end()) current = it->second;
    auto change = decide(current);
    if (!change) return change.error();
    if (change->action == DocumentChange::Action::kDelete) documents.erase(id_of(key));
    if (change->action == DocumentChange::Action::kWrite) {
      documents[id_of(key)] = Document{change->document.content, change->document.content_type,
                                       "etag" + std::to_string(++writes), change->updated};
    }
    return {};
  }
  std::optional<Document> find(const DocumentKey& key) override {
    const auto it = documents.find(id_of(key));
    if (it == documents.end()) return std::nullopt;
    return it->second;
  }
  std::vector<DocumentListEntry> list(const DocumentScope& scope, std::optional<core::Timestamp> since) override {
    std::vector<DocumentListEntry> out;
    for (const auto& [id, doc] : documents) {
      if (in_scope(id, scope) && (!since || doc.updated > *since)) out.push_back({std::get<5>(id), doc.updated});
    }
    return out;
  }
  void remove_all(const DocumentScope& scope) override {
    std::erase_if(documents, [&](const auto& entry) { return in_scope(entry.first, scope); });
  }

  std::map<Id, Document> documents;
  int writes = 0;
};

std::multimap<std::string, std::string> params(std::initializer_list<std::pair<const std::string, std::string>> list) {
  return std::multimap<std::string, std::string>(list);
}

core::Result<DocumentTarget> parse(DocumentKind kind, DocumentMethod method,
                                   std::initializer_list<std::pair<const std::string, std::string>> list,
                                   Version version = Version::k1_0) {
  return parse_document_target(kind, method, params(list), "acme", version);
}

void require_invalid(const core::Result<DocumentTarget>& r, const std::string& field, const std::string& words) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(r.error().field == field);
  CHECK_THAT(r.error().message, Catch::Contains(words));
}

DocumentKey state_key(const std::string& id, std::optional<std::string> registration = std::nullopt,
                      const std::string& tenant = "acme") {
  DocumentScope scope{tenant, DocumentKind::kState, kCourse, "mbox:mailto:ada@example.com", std::move(registration)};
  return {scope, id};
}

DocumentKey profile_key(const std::string& id) {
  return {DocumentScope{"acme", DocumentKind::kActivityProfile, kCourse, "", std::nullopt}, id};
}

IncomingDocument json_doc(const std::string& text) { return {text, "application/json"}; }

}  // namespace

TEST_CASE("State parameters: valid requests address the right documents", "[xapi][documents]") {
  const auto single = parse(DocumentKind::kState, DocumentMethod::kPut,
                            {{"activityId", kCourse}, {"agent", kAda}, {"stateId", "bookmark"},
                             {"registration", kRegistration}});
  REQUIRE(single);
  CHECK(single->scope.tenant == "acme");
  CHECK(single->scope.activity_id == kCourse);
  CHECK(single->scope.agent_key == "mbox:mailto:ada@example.com");
  CHECK(single->scope.registration == "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e01");
  CHECK(single->id == "bookmark");

  const auto list = parse(DocumentKind::kState, DocumentMethod::kGet,
                          {{"activityId", kCourse}, {"agent", kAda}, {"since", "2026-11-25T09:00:00Z"}});
  REQUIRE(list);
  CHECK_FALSE(list->id);
  CHECK(list->since == at("2026-11-25T09:00:00Z"));
  CHECK_FALSE(list->scope.registration);

  // DELETE without stateId: every State of the activity and agent.
  const auto all = parse(DocumentKind::kState, DocumentMethod::kDelete, {{"activityId", kCourse}, {"agent", kAda}});
  REQUIRE(all);
  CHECK_FALSE(all->id);
}

TEST_CASE("Document parameters: what is missing, unknown or malformed is named", "[xapi][documents]") {
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet, {{"agent", kAda}}), "activityId", "requires");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet, {{"activityId", kCourse}}), "agent", "requires");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kPut, {{"activityId", kCourse}, {"agent", kAda}}),
                  "stateId", "PUT /activities/state requires the stateId");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kPost, {{"activityId", kCourse}, {"agent", kAda}}),
                  "stateId", "requires");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet,
                        {{"activityId", kCourse}, {"agent", kAda}, {"profileId", "x"}}),
                  "profileId", "Unknown parameter \"profileId\"");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet,
                        {{"activityId", kCourse}, {"agent", kAda}, {"stateId", "a"}, {"stateId", "b"}}),
                  "stateId", "more than once");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet, {{"activityId", "not an iri"}, {"agent", kAda}}),
                  "activityId", "must be an IRI");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet,
                        {{"activityId", kCourse}, {"agent", kAda}, {"registration", "nope"}}),
                  "registration", "must be a UUID");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet,
                        {{"activityId", kCourse}, {"agent", kAda}, {"since", "yesterday"}}),
                  "since", "must be a timestamp");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet,
                        {{"activityId", kCourse}, {"agent", kAda}, {"stateId", "s"}, {"since", "2026-11-25T09:00:00Z"}}),
                  "since", "only applies to the ids list");
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kPut,
                        {{"activityId", kCourse}, {"agent", kAda}, {"stateId", ""}}),
                  "stateId", "must not be empty");
  // 2.0 timestamps need a zone.
  require_invalid(parse(DocumentKind::kState, DocumentMethod::kGet,
                        {{"activityId", kCourse}, {"agent", kAda}, {"since", "2026-11-25T09:00:00"}}, Version::k2_0),
                  "since", "timestamp");

  require_invalid(parse(DocumentKind::kActivityProfile, DocumentMethod::kDelete, {{"activityId", kCourse}}),
                  "profileId", "DELETE /activities/profile requires the profileId");
  require_invalid(parse(DocumentKind::kActivityProfile, DocumentMethod::kGet,
                        {{"activityId", kCourse}, {"agent", kAda}}),
                  "agent", "Unknown parameter");
  require_invalid(parse(DocumentKind::kAgentProfile, DocumentMethod::kGet, {{"activityId", kCourse}, {"agent", kAda}}),
                  "activityId", "Unknown parameter");
  require_invalid(parse(DocumentKind::kAgentProfile, DocumentMethod::kGet, {{"agent", kAda}, {"registration", kRegistration}}),
                  "registration", "Unknown parameter");
  require_invalid(parse(DocumentKind::kAgentProfile, DocumentMethod::kPut, {{"agent", kAda}}), "profileId", "requires");

  const auto profile = parse(DocumentKind::kAgentProfile, DocumentMethod::kGet, {{"agent", kAda}, {"profileId", "p"}});
  REQUIRE(profile);
  CHECK(profile->scope.activity_id.empty());
  CHECK(profile->id == "p");
}

TEST_CASE("The agent parameter follows the statement rules for an Agent", "[xapi][documents]") {
  const auto ok = parse_agent_parameter(R"({"objectType":"Agent","account":{"homePage":"http://x.com","name":"7"}})",
                                        Version::k1_0);
  REQUIRE(ok);
  CHECK((*ok)["account"]["name"] == "7");

  const auto not_json = parse_agent_parameter("ada", Version::k1_0);
  REQUIRE_FALSE(not_json);
  CHECK(not_json.error().field == "agent");
  CHECK_THAT(not_json.error().message, Catch::Contains("must be an Agent object as JSON"));

  const auto group = parse_agent_parameter(R"({"objectType":"Group","mbox":"mailto:team@example.com"})", Version::k1_0);
  REQUIRE_FALSE(group);
  CHECK_THAT(group.error().message, Catch::Contains("not a Group"));

  const auto two_ids = parse_agent_parameter(R"({"mbox":"mailto:a@example.com","openid":"http://a.example.com"})",
                                             Version::k1_0);
  REQUIRE_FALSE(two_ids);
  CHECK(two_ids.error().field.starts_with("agent"));
  CHECK_THAT(two_ids.error().message, Catch::StartsWith("agent"));

  const auto bad_mbox = parse_agent_parameter(R"({"mbox":"ada@example.com"})", Version::k1_0);
  REQUIRE_FALSE(bad_mbox);
  CHECK(bad_mbox.error().field == "agent.mbox");

  const auto none = parse_agent_parameter(R"({"name":"Ada"})", Version::k1_0);
  REQUIRE_FALSE(none);
}

TEST_CASE("Preconditions: every outcome of Communication 3.1", "[xapi][documents]") {
  const Document current{"{}", "application/json", "abc123", at("2026-11-25T09:00:00Z")};
  const auto code = [](const core::Result<void>& r) { return r ? std::string("ok") : std::string(core::error_code_name(r.error().code)); };
  const auto check = [&](DocumentKind kind, DocumentMethod method, Preconditions p, const Document* doc) {
    return code(check_preconditions(kind, method, p, doc));
  };
  const std::string failed(core::error_code_name(core::ErrorCode::kFailedPrecondition));
  const std::string conflict(core::error_code_name(core::ErrorCode::kConflict));
  const auto profile = DocumentKind::kActivityProfile;
  const auto put = DocumentMethod::kPut;

  SECTION("If-Match") {
    CHECK(check(profile, put, {"\"abc123\"", std::nullopt}, &current) == "ok");
    CHECK(check(profile, put, {"\"other\", \"abc123\"", std::nullopt}, &current) == "ok");
    CHECK(check(profile, put, {"abc123", std::nullopt}, &current) == "ok");  // unquoted: tolerated
    CHECK(check(profile, put, {"*", std::nullopt}, &current) == "ok");
    CHECK(check(profile, put, {"\"stale\"", std::nullopt}, &current) == failed);
    CHECK(check(profile, put, {"W/\"abc123\"", std::nullopt}, &current) == failed);  // weak never matches
    CHECK(check(profile, put, {"*", std::nullopt}, nullptr) == failed);
    CHECK(check(profile, put, {"\"abc123\"", std::nullopt}, nullptr) == failed);
    CHECK(check(DocumentKind::kState, DocumentMethod::kPost, {"\"stale\"", std::nullopt}, &current) == failed);
    CHECK(check(DocumentKind::kAgentProfile, DocumentMethod::kDelete, {"\"stale\"", std::nullopt}, &current) == failed);
    const auto r = check_preconditions(profile, put, {"\"stale\"", std::nullopt}, &current);
    CHECK_THAT(r.error().message, Catch::Contains("\"abc123\""));
  }
  SECTION("If-None-Match") {
    CHECK(check(profile, put, {std::nullopt, "*"}, nullptr) == "ok");
    CHECK(check(profile, put, {std::nullopt, "*"}, &current) == failed);
    CHECK(check(profile, put, {std::nullopt, "\"abc123\""}, &current) == failed);
    CHECK(check(profile, put, {std::nullopt, "\"other\""}, &current) == "ok");
    CHECK(check(DocumentKind::kState, DocumentMethod::kPost, {std::nullopt, "*"}, &current) == failed);
  }
  SECTION("409 when a profile PUT has no precondition and the document exists") {
    CHECK(check(profile, put, {}, &current) == conflict);
    CHECK(check(DocumentKind::kAgentProfile, put, {}, &current) == conflict);
    const auto r = check_preconditions(profile, put, {}, &current);
    CHECK_THAT(r.error().message, Catch::Contains("If-Match") && Catch::Contains("\"abc123\""));
    CHECK(check(DocumentKind::kState, put, {}, &current) == "ok");        // 1.0.3: State needs no headers
    CHECK(check(profile, DocumentMethod::kPost, {}, &current) == "ok");   // POST: SHOULD*, not required
    CHECK(check(profile, DocumentMethod::kDelete, {}, &current) == "ok");
  }
}

TEST_CASE("Communication 2.6 / 2.7 and 3.1: a profile PUT with neither If-Match nor If-None-Match is refused",
          "[xapi][documents][conformance]") {
  // 3.1 Client Requirements (1.0.3 and 2.0): "A Client making a PUT request to either the Agent Profile
  // Resource or Activity Profile Resource MUST include the If-Match header or the If-None-Match header."
  // Existing document: 409 (LRS Requirements); none yet: 400, the missing argument.
  const Document current{"{}", "application/json", "abc123", at("2026-11-25T09:00:00Z")};
  const auto put = DocumentMethod::kPut;
  for (const Version version : {Version::k1_0, Version::k2_0}) {
    for (const DocumentKind kind : {DocumentKind::kActivityProfile, DocumentKind::kAgentProfile}) {
      INFO((version == Version::k1_0 ? "1.0.3 " : "2.0 ") << document_resource(kind));
      const Preconditions none{std::nullopt, std::nullopt, version};
      const auto on_new = check_preconditions(kind, put, none, nullptr);
      REQUIRE_FALSE(on_new);
      CHECK(on_new.error().code == core::ErrorCode::kInvalidArgument);
      CHECK(on_new.error().field == "If-Match");
      CHECK_THAT(on_new.error().message, Catch::Contains("If-None-Match: *"));
      const auto on_existing = check_preconditions(kind, put, none, &current);
      REQUIRE_FALSE(on_existing);
      CHECK(on_existing.error().code == core::ErrorCode::kConflict);
      // Either header lets the PUT go on (when it holds).
      CHECK(check_preconditions(kind, put, {std::nullopt, "*", version}, nullptr));
      CHECK(check_preconditions(kind, put, {"\"abc123\"", std::nullopt, version}, &current));
      // POST and DELETE: the client SHOULD* send them; not required.
      CHECK(check_preconditions(kind, DocumentMethod::kPost, none, nullptr));
      CHECK(check_preconditions(kind, DocumentMethod::kDelete, none, &current));
    }
  }
}

TEST_CASE("Communication 4.1.4 (2.0): a State PUT with neither header on an existing document is 409",
          "[xapi][documents][conformance]") {
  const Document current{"{}", "application/json", "abc123", at("2026-11-25T09:00:00Z")};
  const auto state = DocumentKind::kState;
  const auto put = DocumentMethod::kPut;
  const auto conflict = check_preconditions(state, put, {std::nullopt, std::nullopt, Version::k2_0}, &current);
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code == core::ErrorCode::kConflict);
  CHECK_THAT(conflict.error().message, Catch::Contains("If-Match") && Catch::Contains("\"abc123\"") &&
                                           Catch::Contains("Nothing was changed"));
  // A new State document needs no header, in 2.0 too; with the current ETag the PUT goes on.
  CHECK(check_preconditions(state, put, {std::nullopt, std::nullopt, Version::k2_0}, nullptr));
  CHECK(check_preconditions(state, put, {"\"abc123\"", std::nullopt, Version::k2_0}, &current));
  // POST (merge) and DELETE stay free of the headers.
  CHECK(check_preconditions(state, DocumentMethod::kPost, {std::nullopt, std::nullopt, Version::k2_0}, &current));
  CHECK(check_preconditions(state, DocumentMethod::kDelete, {std::nullopt, std::nullopt, Version::k2_0}, &current));
  // 1.0.3: "The State Resource will permit PUT, POST and DELETE requests without concurrency headers".
  CHECK(check_preconditions(state, put, {std::nullopt, std::nullopt, Version::k1_0}, &current));

  // Through the use case: the 409 changes nothing.
  FakeDocumentStore store;
  core::ManualClock clock(at("2026-11-25T09:00:00Z"));
  DocumentService service(store, clock);
  const DocumentKey key = state_key("s");
  REQUIRE(service.put(key, {R"({"page":1})", "application/json"}, {std::nullopt, std::nullopt, Version::k2_0}));
  const auto refused = service.put(key, {R"({"page":2})", "application/json"}, {std::nullopt, std::nullopt, Version::k2_0});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == core::ErrorCode::kConflict);
  CHECK(service.get(key)->content == R"({"page":1})");
}

TEST_CASE("POST merge: top-level properties of JSON objects only", "[xapi][documents]") {
  const Document existing{R"({"x":"foo","y":"bar","n":{"a":1}})", "application/json; charset=utf-8", "e", {}};
  const auto merged = merge_json_documents(existing, R"({"x":"bash","z":"faz","n":{"b":2}})", "Application/JSON");
  REQUIRE(merged);
  CHECK(json::parse(*merged) == json::parse(R"({"x":"bash","y":"bar","z":"faz","n":{"b":2}})"));

  const auto posted_text = merge_json_documents(existing, "x=1", "text/plain");
  REQUIRE_FALSE(posted_text);
  CHECK(posted_text.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(posted_text.error().field == "Content-Type");

  const Document binary{"\x01\x02", "application/octet-stream", "e", {}};
  const auto stored_binary = merge_json_documents(binary, "{}", "application/json");
  REQUIRE_FALSE(stored_binary);
  CHECK_THAT(stored_binary.error().message, Catch::Contains("application/octet-stream"));

  CHECK_FALSE(merge_json_documents(existing, "[1,2]", "application/json"));
  CHECK_FALSE(merge_json_documents(existing, "{broken", "application/json"));
  const Document array{"[1]", "application/json", "e", {}};
  CHECK_FALSE(merge_json_documents(array, "{}", "application/json"));

  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type(" application/json ; charset=UTF-8"));
  CHECK_FALSE(is_json_content_type("application/jsonp"));
  CHECK_FALSE(is_json_content_type("text/json"));
}

TEST_CASE("DocumentService: writes, reads, merges and deletes through the store", "[xapi][documents]") {
  FakeDocumentStore store;
  core::ManualClock clock(at("2026-11-25T09:00:00Z"));
  DocumentService service(store, clock);

  SECTION("PUT then GET answers the document as sent with its ETag and time") {
    REQUIRE(service.put(state_key("s"), {"\x00\xff raw", "application/octet-stream"}, {}));
    const auto got = service.get(state_key("s"));
    REQUIRE(got);
    CHECK(got->content == std::string("\x00\xff raw"));
    CHECK(got->content_type == "application/octet-stream");
    CHECK(got->etag == "etag1");
    CHECK(got->updated == at("2026-11-25T09:00:00Z"));
    const auto missing = service.get(state_key("other"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == core::ErrorCode::kNotFound);
    CHECK_THAT(missing.error().message, Catch::Contains("stateId \"other\""));
  }
  SECTION("PUT as application/json must be JSON (any JSON value)") {
    const auto broken = service.put(state_key("s"), json_doc("{broken"), {});
    REQUIRE_FALSE(broken);
    CHECK(broken.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(broken.error().field == "Content-Type");
    CHECK_FALSE(service.get(state_key("s")));
    CHECK(service.put(state_key("s"), json_doc("[1,2]"), {}));
  }
  SECTION("POST creates, then merges") {
    REQUIRE(service.post(state_key("s"), json_doc(R"({"x":"foo","y":"bar"})"), {}));
    REQUIRE(service.post(state_key("s"), json_doc(R"({"x":"bash","z":"faz"})"), {}));
    CHECK(json::parse(service.get(state_key("s"))->content) == json::parse(R"({"x":"bash","y":"bar","z":"faz"})"));
  }
  SECTION("POST that cannot merge changes nothing") {
    REQUIRE(service.put(state_key("s"), {"plain", "text/plain"}, {}));
    const auto r = service.post(state_key("s"), json_doc(R"({"x":1})"), {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(service.get(state_key("s"))->content == "plain");
    const auto array = service.post(state_key("new"), json_doc("[1]"), {});
    REQUIRE_FALSE(array);
    CHECK_FALSE(service.get(state_key("new")));
  }
  SECTION("POST of a non-JSON document where there is none stores it") {
    REQUIRE(service.post(state_key("s"), {"plain", "text/plain"}, {}));
    CHECK(service.get(state_key("s"))->content == "plain");
  }
  SECTION("Failed preconditions leave the document as it was") {
    REQUIRE(service.put(profile_key("p"), json_doc(R"({"v":1})"), {std::nullopt, "*"}));
    const auto etag = service.get(profile_key("p"))->etag;
    const auto stale = service.put(profile_key("p"), json_doc(R"({"v":2})"), {"\"stale\"", std::nullopt});
    REQUIRE_FALSE(stale);
    CHECK(stale.error().code == core::ErrorCode::kFailedPrecondition);
    const auto no_header = service.put(profile_key("p"), json_doc(R"({"v":3})"), {});
    REQUIRE_FALSE(no_header);
    CHECK(no_header.error().code == core::ErrorCode::kConflict);
    const auto exists = service.put(profile_key("p"), json_doc(R"({"v":4})"), {std::nullopt, "*"});
    REQUIRE_FALSE(exists);
    CHECK(exists.error().code == core::ErrorCode::kFailedPrecondition);
    CHECK_FALSE(service.remove(profile_key("p"), {"\"stale\"", std::nullopt}));
    CHECK(service.get(profile_key("p"))->content == R"({"v":1})");
    REQUIRE(service.put(profile_key("p"), json_doc(R"({"v":5})"), {"\"" + etag + "\"", std::nullopt}));
    CHECK(service.get(profile_key("p"))->content == R"({"v":5})");
  }
  SECTION("DELETE one, DELETE of a missing document, DELETE all of a scope") {
    REQUIRE(service.put(state_key("a"), json_doc("{}"), {}));
    REQUIRE(service.put(state_key("b", "r1"), json_doc("{}"), {}));
    REQUIRE(service.put(state_key("c", "r2"), json_doc("{}"), {}));
    REQUIRE(service.put(state_key("a", std::nullopt, "other-tenant"), json_doc("{}"), {}));
    REQUIRE(service.remove(state_key("a"), {}));
    CHECK_FALSE(service.get(state_key("a")));
    CHECK(service.remove(state_key("a"), {}));  // already gone: still fine
    const auto must_exist = service.remove(state_key("a"), {"*", std::nullopt});
    REQUIRE_FALSE(must_exist);
    CHECK(must_exist.error().code == core::ErrorCode::kFailedPrecondition);

    service.remove_all(state_key("", "r1").scope);
    CHECK_FALSE(service.get(state_key("b", "r1")));
    CHECK(service.get(state_key("c", "r2")));
    service.remove_all(state_key("").scope);  // no registration: every registration
    CHECK_FALSE(service.get(state_key("c", "r2")));
    CHECK(service.get(state_key("a", std::nullopt, "other-tenant")));  // another tenant's stays
  }
  SECTION("The ids list filters by since (exclusive)") {
    REQUIRE(service.put(state_key("early"), json_doc("{}"), {}));
    clock.advance(std::chrono::seconds(10));
    REQUIRE(service.put(state_key("late"), json_doc("{}"), {}));
    CHECK(service.list(state_key("").scope, std::nullopt).size() == 2);
    const auto since = service.list(state_key("").scope, at("2026-11-25T09:00:00Z"));
    REQUIRE(since.size() == 1);
    CHECK(since[0].id == "late");
  }
}

TEST_CASE("The Person object of an agent", "[xapi][documents]") {
  const json agent = json::parse(R"({"objectType":"Agent","name":"Ada","mbox":"mailto:ada@example.com"})");
  const json person = person_object(agent, {"Ada Lovelace", "Ada"});
  CHECK(person == json::parse(R"({"objectType":"Person","name":["Ada","Ada Lovelace"],
                                  "mbox":["mailto:ada@example.com"]})"));
  const json account = person_object(json::parse(R"({"account":{"homePage":"http://x.com","name":"7"}})"), {});
  CHECK(account == json::parse(R"({"objectType":"Person","account":[{"homePage":"http://x.com","name":"7"}]})"));
}

TEST_CASE("The Activity object merges the definitions statements give it", "[xapi][documents]") {
  const std::string id = "http://example.com/act";
  CHECK(activity_object(id, {}) == json::parse(R"({"objectType":"Activity","id":"http://example.com/act"})"));

  const std::vector<json> statements = {
      json::parse(R"({"object":{"id":"http://example.com/act","definition":{"name":{"en-US":"Act"},
                     "type":"http://example.com/t1","extensions":{"http://e/1":1}}}})"),
      json::parse(R"({"object":{"id":"http://example.com/other","definition":{"name":{"en-US":"Other"}}},
                     "context":{"contextActivities":{"parent":[{"id":"http://example.com/act",
                     "definition":{"name":{"fr":"Acte"},"type":"http://example.com/t2"}}]}}})"),
      json::parse(R"({"object":{"objectType":"SubStatement","object":{"id":"http://example.com/act",
                     "definition":{"description":{"en-US":"An act"},"extensions":{"http://e/2":2}}}}})"),
      json::parse(R"({"object":{"objectType":"Agent","mbox":"mailto:x@example.com"}})")};
  CHECK(activity_object(id, statements) ==
        json::parse(R"({"objectType":"Activity","id":"http://example.com/act","definition":{
                       "name":{"en-US":"Act","fr":"Acte"},"description":{"en-US":"An act"},
                       "type":"http://example.com/t2","extensions":{"http://e/1":1,"http://e/2":2}}})"));
}
