// The Statements write use case with fakes for Kafka and the ledger: ids, LRS-set properties, retries
// and conflicts by the comparison rules, duplicate ids in a batch, and what is published.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <condition_variable>
#include <optional>
#include <stdexcept>
#include <thread>

#include "adapters/openssl_jws_verifier.h"
#include "domain/xapi/statement_form.h"
#include "domain/xapi/store_statements.h"
#include "edfleet/core/hash.h"
#include "edfleet/core/time_format.h"

using namespace edfleet;
using namespace edfleet::ingest;
using namespace edfleet::ingest::xapi;
using nlohmann::json;

namespace {

struct FakePublisher : EventPublisher {
  std::vector<EventEnvelope> published;
  bool fail_all = false;
  bool throw_ = false;
  std::vector<PublishAck> publish(std::span<const EventEnvelope> events) override {
    if (throw_) throw std::runtime_error("broker down");
    std::vector<PublishAck> acks;
    for (const auto& e : events) {
      if (!fail_all) published.push_back(e);
      acks.push_back({!fail_all, fail_all ? "timed out" : ""});
    }
    return acks;
  }
};

// Claim semantics in memory: `rows` are accepted ids, `pending` claimed ones.
struct FakeLedger : AcceptedEventLedger {
  std::map<EventKey, std::string> rows;
  std::map<EventKey, std::string> pending;
  bool down = false;
  bool release_down = false;
  int releases = 0;
  std::vector<LedgerClaim> claim(std::span<const AcceptedEvent> wanted) override {
    if (down) throw std::runtime_error("pg down");
    std::vector<LedgerClaim> out;
    for (const auto& w : wanted) {
      if (auto it = rows.find(w.key); it != rows.end()) {
        out.push_back({LedgerClaim::State::kAccepted, it->second});
      } else if (auto p = pending.find(w.key); p != pending.end()) {
        out.push_back({LedgerClaim::State::kPending, p->second});
      } else {
        pending.emplace(w.key, w.content_hash);
        out.push_back({LedgerClaim::State::kClaimed, w.content_hash});
      }
    }
    return out;
  }
  void record(std::span<const AcceptedEvent> events) override {
    for (const auto& e : events) {
      if (auto p = pending.find(e.key); p != pending.end()) {
        if (p->second != e.content_hash) continue;
        pending.erase(p);
      }
      rows.emplace(e.key, e.content_hash);
    }
  }
  void release(std::span<const AcceptedEvent> claims) override {
    ++releases;
    if (release_down) throw std::runtime_error("pg down");
    for (const auto& c : claims) {
      if (auto p = pending.find(c.key); p != pending.end() && p->second == c.content_hash) pending.erase(p);
    }
  }
};

struct FakeEncoder : XapiPayloadEncoder {
  std::string encode(std::string_view statement_json, std::string_view version,
                     std::span<const AttachmentContent> attachments) override {
    std::string out = std::string(version);
    for (const auto& a : attachments) out += "#" + a.sha2;  // before '|': the statement stays parseable
    return out + "|" + std::string(statement_json);
  }
};

json decoded(const EventEnvelope& e) { return json::parse(e.payload.encoded.substr(e.payload.encoded.find('|') + 1)); }

struct Fixture {
  FakePublisher publisher;
  FakeLedger ledger;
  FakeEncoder encoder;
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  core::SequentialIdGenerator ids;
  StoreStatements store{publisher, ledger, encoder, clock, ids, StoreSettings{}};

  core::Result<StoreResult> post(json body, Version v = Version::k1_0) {
    return store.execute({"acme", authority_for("acme", "key-1"), v, v == Version::k1_0 ? "1.0.3" : "2.0.0",
                          std::nullopt, std::move(body), "0af7651916cd43dd8448eb211c80319c"});
  }
  core::Result<StoreResult> put(std::string id, json body) {
    return store.execute({"acme", authority_for("acme", "key-1"), Version::k1_0, "1.0.3", std::move(id),
                          std::move(body), ""});
  }
};

const char* const kId = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0";

json statement(const char* id = kId) {
  json s = json::parse(R"({"actor": {"mbox": "mailto:Ada@Example.COM", "name": "Ada"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"id": "https://lms.example.com/course/algebra-1", "definition": {"name": {"en-US": "Algebra"}}},
    "timestamp": "2026-11-25T10:00:00+01:00"})");
  if (id) s["id"] = id;
  return s;
}

}  // namespace

TEST_CASE("POST publishes one xapi.statement event per statement with the LRS properties set", "[xapi][store]") {
  Fixture f;
  json no_id = statement(nullptr);
  no_id.erase("timestamp");
  const auto r = f.post(json::array({statement(), no_id}));
  REQUIRE(r.ok());
  REQUIRE(r->ids.size() == 2);
  CHECK(r->ids[0] == kId);
  CHECK(core::is_uuid(r->ids[1]));
  CHECK(r->published == 2);
  REQUIRE(f.publisher.published.size() == 2);
  const auto& e = f.publisher.published[0];
  CHECK(e.id == kId);
  CHECK(e.tenant == "acme");
  CHECK(e.type == "xapi.statement");
  CHECK(e.payload.kind == "xapi_statement");
  CHECK(e.subject.learner_id == "mbox:mailto:Ada@example.com");
  CHECK(partition_key(e) == "acme/mbox:mailto:Ada@example.com");
  CHECK(e.trace_id == "0af7651916cd43dd8448eb211c80319c");
  CHECK(to_timestamp(*e.occurred_at) == *core::parse_rfc3339("2026-11-25T09:00:00Z"));
  CHECK(to_timestamp(*e.received_at) == f.clock.now());
  CHECK(e.payload.encoded.rfind("1.0.3|", 0) == 0);
  const json s = decoded(e);
  CHECK(s["id"] == kId);
  CHECK(s["stored"] == "2026-11-25T09:30:00.000Z");
  CHECK(s["authority"] == authority_for("acme", "key-1"));
  CHECK(s["version"] == "1.0.0");
  CHECK(s["timestamp"] == "2026-11-25T10:00:00+01:00");  // as sent
  // Without a timestamp the LRS sets it to stored.
  const json second = decoded(f.publisher.published[1]);
  CHECK(second["id"] == r->ids[1]);
  CHECK(second["timestamp"] == "2026-11-25T09:30:00.000Z");
  CHECK(f.ledger.rows.size() == 2);
}

TEST_CASE("the same statement again is no change; different content under the id is a conflict", "[xapi][store]") {
  Fixture f;
  REQUIRE(f.post(statement()).ok());
  REQUIRE(f.publisher.published.size() == 1);

  // Same statement, other serialisation: timestamp zone, verb display, definition, mbox domain case,
  // objectType spelled out, a version property. All equal by the comparison rules.
  json same = statement();
  same["timestamp"] = "2026-11-25T09:00:00.000Z";
  same["verb"]["display"] = {{"fr", "terminé"}};
  same["object"]["definition"] = {{"name", {{"en-US", "Algebra I"}}}};
  same["object"]["objectType"] = "Activity";
  same["actor"]["mbox"] = "mailto:Ada@example.com";
  same["actor"]["objectType"] = "Agent";
  same["version"] = "1.0.3";
  f.clock.advance(std::chrono::seconds(5));
  const auto again = f.post(same);
  REQUIRE(again.ok());
  CHECK(again->unchanged == 1);
  CHECK(again->published == 0);
  CHECK(f.publisher.published.size() == 1);

  json other = statement();
  other["result"] = {{"success", true}};
  const auto conflict = f.post(other);
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.error().code == core::ErrorCode::kConflict);
  CHECK(conflict.error().message.find(kId) != std::string::npos);
  json other_actor = statement();
  other_actor["actor"]["mbox"] = "mailto:ada@example.com";  // the local part is case-sensitive
  CHECK(f.post(other_actor).error().code == core::ErrorCode::kConflict);
  CHECK(f.publisher.published.size() == 1);

  // In a batch: a conflict refuses the whole batch, nothing is published.
  const auto mixed = f.post(json::array({statement("8f87ccde-bb56-4c2e-ab83-44982ef22df0"), other}));
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.error().code == core::ErrorCode::kConflict);
  CHECK(mixed.error().field == "[1].id");
  CHECK(f.publisher.published.size() == 1);
}

TEST_CASE("group members in another order are the same statement", "[xapi][store]") {
  json a = statement();
  a["actor"] = json::parse(R"({"objectType": "Group", "member": [{"mbox": "mailto:a@x.com"}, {"mbox": "mailto:b@x.com"}]})");
  json b = a;
  std::swap(b["actor"]["member"][0], b["actor"]["member"][1]);
  CHECK(comparison_hash(a) == comparison_hash(b));
  CHECK(comparison_hash(a) != comparison_hash(statement()));
  CHECK(actor_key(a["actor"]) == actor_key(b["actor"]));
  CHECK(actor_key(a["actor"]).rfind("group:sha256:", 0) == 0);
  CHECK(actor_key(json::parse(R"({"account": {"homePage": "https://lms.x", "name": "42"}})")) == "account:https://lms.x#42");
  CHECK(actor_key(json::parse(R"({"openid": "http://id.x/1"})")) == "openid:http://id.x/1");
  CHECK(actor_key(json::parse(R"({"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"})")) ==
        "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9");
}

TEST_CASE("duplicate ids in one batch, invalid statements and PUT id rules are 400", "[xapi][store]") {
  Fixture f;
  const auto dup = f.post(json::array({statement(), statement(nullptr), statement()}));
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(dup.error().field == "[2].id");
  CHECK(dup.error().message.find("[0] and [2]") != std::string::npos);
  // Ids compare case-insensitively.
  json upper = statement();
  upper["id"] = "FD41C918-B88B-4B20-A0A5-A4C32391AAA0";
  CHECK_FALSE(f.post(json::array({statement(), upper})).ok());

  json bad = statement();
  bad["verb"]["id"] = "completed";
  const auto invalid = f.post(json::array({statement(), bad}));
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().field == "[1].verb.id");
  CHECK(invalid.error().message == "[1].verb.id must be an IRI with a scheme; got \"completed\".");
  CHECK_FALSE(f.post(json("x")).ok());
  CHECK(f.publisher.published.empty());

  CHECK(f.put("not-a-uuid", statement()).error().field == "statementId");
  CHECK(f.put("8f87ccde-bb56-4c2e-ab83-44982ef22df0", statement()).error().field == "id");
  CHECK(f.put(kId, json::array({statement()})).error().code == core::ErrorCode::kInvalidArgument);
  const auto put = f.put("FD41C918-B88B-4B20-A0A5-A4C32391AAA0", statement(nullptr));
  REQUIRE(put.ok());
  CHECK(put->ids == std::vector<std::string>{kId});
  REQUIRE(f.publisher.published.size() == 1);
  CHECK(decoded(f.publisher.published[0])["id"] == kId);
}

TEST_CASE("Kafka or the ledger unavailable is 503 and a retry completes", "[xapi][store]") {
  Fixture f;
  f.ledger.down = true;
  CHECK(f.post(statement()).error().code == core::ErrorCode::kUnavailable);
  f.ledger.down = false;
  f.publisher.throw_ = true;
  CHECK(f.post(statement()).error().code == core::ErrorCode::kUnavailable);
  f.publisher.throw_ = false;
  f.publisher.fail_all = true;
  CHECK(f.post(statement()).error().code == core::ErrorCode::kUnavailable);
  CHECK(f.ledger.rows.empty());  // nothing acknowledged, nothing recorded
  f.publisher.fail_all = false;
  const auto retry = f.post(statement());
  REQUIRE(retry.ok());
  CHECK(retry->published == 1);
}

TEST_CASE("batch limits: too many statements is 413, an empty batch stores nothing", "[xapi][store]") {
  FakePublisher publisher;
  FakeLedger ledger;
  FakeEncoder encoder;
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  core::SequentialIdGenerator ids;
  StoreStatements store{publisher, ledger, encoder, clock, ids, StoreSettings{2, 600, "test"}};
  const StoreRequest base{"acme", authority_for("acme", ""), Version::k1_0, "1.0.3", std::nullopt, json(), ""};
  StoreRequest many = base;
  many.body = json::array({statement(nullptr), statement(nullptr), statement(nullptr)});
  CHECK(store.execute(many).error().code == core::ErrorCode::kTooLarge);
  StoreRequest big = base;
  big.body = statement();
  big.body["result"] = {{"response", std::string(1000, 'x')}};
  CHECK(store.execute(big).error().code == core::ErrorCode::kTooLarge);
  StoreRequest empty = base;
  empty.body = json::array();
  const auto r = store.execute(empty);
  REQUIRE(r.ok());
  CHECK(r->ids.empty());
  CHECK(publisher.published.empty());
}

TEST_CASE("2.0 statements get version 2.0.0 and RFC 3339 rules", "[xapi][store]") {
  Fixture f;
  json s = statement();
  s["timestamp"] = "2026-11-25T10:00:00";  // no zone: fine in 1.0.3, not in 2.0
  CHECK(f.post(s, Version::k2_0).error().field == "timestamp");
  REQUIRE(f.post(statement(), Version::k2_0).ok());
  CHECK(decoded(f.publisher.published.at(0))["version"] == "2.0.0");
  CHECK(f.publisher.published.at(0).payload.encoded.rfind("2.0.0|", 0) == 0);
}

namespace {

// A publisher that holds the first publish until released, to have a batch "in flight".
struct GatedPublisher : EventPublisher {
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false;
  bool open = false;
  std::vector<EventEnvelope> published;
  std::vector<PublishAck> publish(std::span<const EventEnvelope> events) override {
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait(lock, [&] { return open; });
    std::vector<PublishAck> acks;
    for (const auto& e : events) {
      published.push_back(e);
      acks.push_back({true, ""});
    }
    return acks;
  }
};

}  // namespace

TEST_CASE("conflict checks see statements other requests are publishing right now", "[xapi][store]") {
  GatedPublisher publisher;
  FakeLedger ledger;
  FakeEncoder encoder;
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  core::SequentialIdGenerator ids;
  StoreStatements store{publisher, ledger, encoder, clock, ids, StoreSettings{}};
  const auto request = [](json body) {
    return StoreRequest{"acme", authority_for("acme", ""), Version::k1_0, "1.0.3", std::nullopt, std::move(body), ""};
  };
  std::optional<core::Result<StoreResult>> first, same;
  std::thread a([&] { first.emplace(store.execute(request(statement()))); });
  {
    std::unique_lock lock(publisher.mutex);
    publisher.changed.wait(lock, [&] { return publisher.entered; });
  }
  // Other content under the id being published: 409 at once, without waiting.
  json other = statement();
  other["result"] = {{"success", false}};
  const auto conflict = store.execute(request(other));
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.error().code == core::ErrorCode::kConflict);
  // The same content waits for the first request, then finds it stored.
  std::thread c([&] { same.emplace(store.execute(request(statement()))); });
  {
    std::lock_guard lock(publisher.mutex);
    publisher.open = true;
  }
  publisher.changed.notify_all();
  a.join();
  c.join();
  REQUIRE(first->ok());
  CHECK((*first)->published == 1);
  REQUIRE(same->ok());
  CHECK((*same)->unchanged == 1);
  CHECK(publisher.published.size() == 1);
}

TEST_CASE("waiting for an in-flight statement gives up after in_flight_wait", "[xapi][store]") {
  GatedPublisher publisher;
  FakeLedger ledger;
  FakeEncoder encoder;
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  core::SequentialIdGenerator ids;
  StoreSettings settings;
  settings.in_flight_wait = std::chrono::milliseconds(50);
  StoreStatements store{publisher, ledger, encoder, clock, ids, settings};
  const StoreRequest request{"acme", authority_for("acme", ""), Version::k1_0, "1.0.3", std::nullopt, statement(), ""};
  std::optional<core::Result<StoreResult>> first;
  std::thread a([&] { first.emplace(store.execute(request)); });
  {
    std::unique_lock lock(publisher.mutex);
    publisher.changed.wait(lock, [&] { return publisher.entered; });
  }
  const auto waited = store.execute(request);
  REQUIRE_FALSE(waited.ok());
  CHECK(waited.error().code == core::ErrorCode::kUnavailable);
  {
    std::lock_guard lock(publisher.mutex);
    publisher.open = true;
  }
  publisher.changed.notify_all();
  a.join();
  CHECK(first->ok());
}

TEST_CASE("attachments: the data of matched parts rides on each statement's event", "[xapi][store][attachments]") {
  FakePublisher publisher;
  FakeLedger ledger;
  FakeEncoder encoder;
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  core::SequentialIdGenerator ids;
  OpenSslJwsVerifier crypto;
  StoreStatements store{publisher, ledger, encoder, clock, ids, StoreSettings{}, nullptr, &crypto};
  const std::string data = "an essay";
  const std::string sha2 = core::sha256_hex(data);
  json with_attachment = statement();
  with_attachment["attachments"] = {{{"usageType", "http://example.com/usage/essay"},
                                     {"display", {{"en-US", "Essay"}}},
                                     {"contentType", "text/plain"},
                                     {"length", data.size()},
                                     {"sha2", sha2}}};
  MultipartPart part{{{"Content-Type", "text/plain"}, {"Content-Transfer-Encoding", "binary"},
                      {"X-Experience-API-Hash", sha2}},
                     data};
  StoreRequest request{"acme", authority_for("acme", "key-1"), Version::k1_0, "1.0.3", std::nullopt,
                       json::array({with_attachment, statement("8f87ccde-bb56-4c2e-ab83-44982ef22df0")}), "",
                       true, {part}};
  const auto r = store.execute(request);
  REQUIRE(r.ok());
  REQUIRE(publisher.published.size() == 2);
  CHECK(publisher.published[0].payload.encoded.rfind("1.0.3#" + sha2 + "|", 0) == 0);
  CHECK(publisher.published[1].payload.encoded.rfind("1.0.3|", 0) == 0);  // no attachment: no data
  CHECK(decoded(publisher.published[0])["attachments"][0]["sha2"] == sha2);

  // The same statement as application/json (no parts) is refused: it has no fileUrl.
  request.multipart = false;
  request.attachment_parts.clear();
  const auto json_only = store.execute(request);
  REQUIRE_FALSE(json_only);
  CHECK(json_only.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(json_only.error().field == "[0].attachments[0].sha2");
  // A part nothing refers to is refused before anything is published.
  publisher.published.clear();
  StoreRequest stray{"acme", authority_for("acme", "key-1"), Version::k1_0, "1.0.3", std::nullopt,
                     statement("6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0e01"), "", true, {part}};
  const auto extra = store.execute(stray);
  REQUIRE_FALSE(extra);
  CHECK(extra.error().message.find("matches no attachment") != std::string::npos);
  CHECK(publisher.published.empty());
}

// Claim before publish: the ledger, shared by every replica, holds an id (pending) before it is published.

TEST_CASE("a statement claimed by a process that died before recording it keeps its content", "[xapi][store][claim]") {
  Fixture f;
  const EventKey key{"acme", kId};
  // The crash: claimed (and maybe on Kafka, maybe materialised), never recorded.
  f.ledger.pending[key] = comparison_hash(statement());
  json changed = statement();
  changed["verb"]["id"] = "http://adlnet.gov/expapi/verbs/failed";
  const auto conflict = f.put(kId, changed);
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.error().code == core::ErrorCode::kConflict);
  CHECK(conflict.error().field == "id");
  CHECK(f.publisher.published.empty());

  // The same statement retried is published again (the store de-duplicates by id) and recorded.
  const auto retry = f.put(kId, statement());
  REQUIRE(retry.ok());
  CHECK(retry->published == 1);
  CHECK(f.publisher.published.size() == 1);
  CHECK(f.ledger.pending.empty());
  CHECK(f.ledger.rows.at(key) == comparison_hash(statement()));
  const auto again = f.put(kId, statement());
  REQUIRE(again.ok());
  CHECK(again->unchanged == 1);
  CHECK(f.publisher.published.size() == 1);
}

TEST_CASE("a conflict anywhere in a batch releases the claims it made", "[xapi][store][claim]") {
  Fixture f;
  const char* const other_id = "0c6f3ff5-7f4b-4ac6-9d36-1e8d1e3c4f10";
  json held = statement(other_id);
  f.ledger.rows[EventKey{"acme", other_id}] = comparison_hash(held);
  held["verb"]["id"] = "http://adlnet.gov/expapi/verbs/failed";
  const auto r = f.post(json::array({statement(), held}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == core::ErrorCode::kConflict);
  CHECK(r.error().field == "[1].id");
  CHECK(f.publisher.published.empty());
  CHECK(f.ledger.pending.empty());   // kId was claimed, then released
  CHECK(f.ledger.releases == 1);
  // kId is free: other content for it is a new statement.
  json changed = statement();
  changed["verb"]["id"] = "http://adlnet.gov/expapi/verbs/failed";
  REQUIRE(f.put(kId, changed).ok());
}

TEST_CASE("claims of statements Kafka did not take are released, best effort", "[xapi][store][claim]") {
  Fixture f;
  const EventKey key{"acme", kId};
  json changed = statement();
  changed["verb"]["id"] = "http://adlnet.gov/expapi/verbs/failed";
  f.publisher.fail_all = true;
  CHECK(f.put(kId, statement()).error().code == core::ErrorCode::kUnavailable);
  CHECK(f.ledger.pending.empty());
  f.publisher.fail_all = false;
  f.publisher.throw_ = true;
  CHECK(f.put(kId, statement()).error().code == core::ErrorCode::kUnavailable);
  CHECK(f.ledger.pending.empty());
  CHECK(f.ledger.releases == 2);

  // The release fails too: the claim stays pending, so other content is a 409 and the same is stored.
  f.ledger.release_down = true;
  CHECK(f.put(kId, statement()).error().code == core::ErrorCode::kUnavailable);
  f.publisher.throw_ = false;
  f.ledger.release_down = false;
  CHECK(f.ledger.pending.count(key) == 1);
  CHECK(f.put(kId, changed).error().code == core::ErrorCode::kConflict);
  const auto retry = f.put(kId, statement());
  REQUIRE(retry.ok());
  CHECK(retry->published == 1);
  CHECK(f.ledger.rows.count(key) == 1);
}

TEST_CASE("Data 2.4.6.2: contextActivities given as single objects are stored as arrays", "[xapi][store][conformance]") {
  // Each kind of context activity as a single Activity object, in the statement and in its SubStatement;
  // one already an array stays as it is.
  const auto with_single_context_activities = [] {
    json s = statement();
    s["context"] = json::parse(R"({"contextActivities": {
        "parent": {"id": "https://lms.example.com/course/algebra"},
        "grouping": {"id": "https://lms.example.com/programme/maths", "objectType": "Activity"},
        "category": {"id": "https://w3id.org/xapi/scorm"},
        "other": [{"id": "https://lms.example.com/tag/one"}, {"id": "https://lms.example.com/tag/two"}]}})");
    s["object"] = json::parse(R"({"objectType": "SubStatement", "actor": {"mbox": "mailto:bob@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "https://lms.example.com/quiz/7"},
        "context": {"contextActivities": {"other": {"id": "https://lms.example.com/tag/sub"}}}})");
    return s;
  };
  for (const Version version : {Version::k1_0, Version::k2_0}) {
    INFO((version == Version::k1_0 ? "1.0.3" : "2.0"));
    Fixture f;
    const json sent = with_single_context_activities();
    REQUIRE(f.post(sent, version).ok());
    REQUIRE(f.publisher.published.size() == 1);
    const json stored = decoded(f.publisher.published[0]);
    const json& activities = stored["context"]["contextActivities"];
    for (const char* kind : {"parent", "grouping", "category"}) {
      INFO(kind);
      REQUIRE(activities[kind].is_array());
      REQUIRE(activities[kind].size() == 1);
      CHECK(activities[kind][0] == sent["context"]["contextActivities"][kind]);
    }
    CHECK(activities["other"] == sent["context"]["contextActivities"]["other"]);
    const json& sub = stored["object"]["context"]["contextActivities"]["other"];
    REQUIRE(sub.is_array());
    CHECK(sub == json::array({sent["object"]["context"]["contextActivities"]["other"]}));
    // The same statement sent again with the arrays is no change (the comparison form has arrays too).
    json as_arrays = sent;
    as_arrays["context"] = stored["context"];
    as_arrays["object"]["context"] = stored["object"]["context"];
    const auto again = f.post(as_arrays, version);
    REQUIRE(again.ok());
    CHECK(again->unchanged == 1);
  }
}
