// What the materialiser derives from a stored statement, and the Consistent-Through watermark.
#include <catch2/catch.hpp>

#include "domain/xapi/consistency.h"
#include "domain/xapi/statement_form.h"
#include "edfleet/core/time_format.h"

using namespace edfleet;
using namespace edfleet::ingest;
using namespace edfleet::ingest::xapi;
using nlohmann::json;

TEST_CASE("columns_of: the query columns of a stored statement", "[xapi][materialise]") {
  const json s = json::parse(R"({"id": "FD41C918-B88B-4B20-A0A5-A4C32391AAA0", "stored": "2026-11-25T09:30:00.000Z",
    "actor": {"mbox": "mailto:ada@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://lms.example.com/course/1"},
    "context": {"registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7"}})");
  const auto c = columns_of(s);
  REQUIRE(c.ok());
  CHECK(c->statement_id == "fd41c918-b88b-4b20-a0a5-a4c32391aaa0");
  CHECK(c->stored == *core::parse_rfc3339("2026-11-25T09:30:00Z"));
  CHECK(c->actor_key == "mbox:mailto:ada@example.com");
  CHECK(c->verb_id == "http://adlnet.gov/expapi/verbs/completed");
  CHECK(c->activity_id == "https://lms.example.com/course/1");
  CHECK_FALSE(c->object_agent_key);
  CHECK(c->registration == "ec531277-b57b-4c15-8d91-d292c5b2b8f7");
  CHECK_FALSE(c->voids);

  json voiding = s;
  voiding["verb"]["id"] = "http://adlnet.gov/expapi/verbs/voided";
  voiding["object"] = {{"objectType", "StatementRef"}, {"id", "8F87CCDE-BB56-4C2E-AB83-44982EF22DF0"}};
  CHECK(columns_of(voiding)->voids == "8f87ccde-bb56-4c2e-ab83-44982ef22df0");
  CHECK(columns_of(voiding)->statement_ref == "8f87ccde-bb56-4c2e-ab83-44982ef22df0");
  CHECK_FALSE(columns_of(voiding)->activity_id);
  // Any statement targeting another (Communication 2.1.3, Filter Conditions for StatementRefs).
  json referring = voiding;
  referring["verb"]["id"] = "http://adlnet.gov/expapi/verbs/experienced";
  CHECK_FALSE(columns_of(referring)->voids);
  CHECK(columns_of(referring)->statement_ref == "8f87ccde-bb56-4c2e-ab83-44982ef22df0");
  CHECK_FALSE(c->statement_ref);

  json agent_object = s;
  agent_object["object"] = {{"objectType", "Agent"}, {"mbox", "mailto:bob@example.com"}};
  CHECK(columns_of(agent_object)->object_agent_key == "mbox:mailto:bob@example.com");

  json no_stored = s;
  no_stored.erase("stored");
  CHECK_FALSE(columns_of(no_stored).ok());
  CHECK_FALSE(columns_of(json::array()).ok());
  json bad_stored = s;
  bad_stored["stored"] = "yesterday";
  CHECK(columns_of(bad_stored).error().field == "stored");
}

TEST_CASE("Consistent-Through: just before the oldest pending statement, else now", "[xapi][materialise]") {
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  ConsistencyTracker tracker(clock);
  CHECK(tracker.consistent_through() == clock.now());
  const auto t1 = clock.now();
  const std::vector<EventKey> first = {{"acme", "a"}, {"acme", "b"}};
  tracker.pending(first, t1);
  clock.advance(std::chrono::seconds(1));
  const std::vector<EventKey> second = {{"acme", "c"}};
  tracker.pending(second, clock.now());
  clock.advance(std::chrono::seconds(1));
  CHECK(tracker.consistent_through() == t1 - std::chrono::microseconds(1));
  tracker.settled({"acme", "a"});
  CHECK(tracker.consistent_through() == t1 - std::chrono::microseconds(1));
  tracker.settled({"acme", "b"});
  tracker.settled({"acme", "b"});  // again (redelivery): harmless
  CHECK(tracker.consistent_through() == t1 + std::chrono::seconds(1) - std::chrono::microseconds(1));
  tracker.settled({"acme", "c"});
  CHECK(tracker.pending_count() == 0);
  CHECK(tracker.consistent_through() == clock.now());
  // Another tenant's key with the same id is another statement.
  const std::vector<EventKey> same_id = {{"acme", "x"}, {"other", "x"}};
  tracker.pending(same_id, clock.now());
  tracker.settled({"acme", "x"});
  CHECK(tracker.pending_count() == 1);
}

TEST_CASE("Consistent-Through after records were lost: it never moves again", "[xapi][materialise]") {
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  ConsistencyTracker tracker(clock);
  const auto t1 = clock.now();
  const std::vector<EventKey> pending = {{"acme", "a"}};
  tracker.pending(pending, t1);
  clock.advance(std::chrono::seconds(5));
  CHECK_FALSE(tracker.lost());
  tracker.records_lost();  // the materialiser's position was out of range: "a" may be gone
  CHECK(tracker.lost());
  const auto frozen = t1 - std::chrono::microseconds(1);
  CHECK(tracker.consistent_through() == frozen);
  // Nothing releases it: not settling, not catching up, not time.
  tracker.settled({"acme", "a"});
  tracker.caught_up(clock.now());
  clock.advance(std::chrono::hours(1));
  CHECK(tracker.consistent_through() == frozen);
  tracker.records_lost();  // again: the first freeze stands
  CHECK(tracker.consistent_through() == frozen);
}

TEST_CASE("Consistent-Through after a restart: held at the floor until caught up", "[xapi][materialise]") {
  using std::chrono::seconds;
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  ConsistencyTracker tracker(clock, std::chrono::microseconds(seconds(12)));
  const auto floor = clock.now() - seconds(30);   // what the killed process vouched for last
  tracker.hold(floor);
  tracker.hold(floor - seconds(5));               // a lower floor given later does not lower it
  CHECK(tracker.held());
  clock.advance(seconds(8));
  // Nothing pending here, yet the killed process's statements may still be on their way.
  CHECK(tracker.consistent_through() == floor);
  const std::vector<EventKey> fresh = {{"acme", "new"}};
  tracker.pending(fresh, clock.now());
  CHECK(tracker.consistent_through() == floor);
  // A floor newer than a pending statement never covers it.
  tracker.hold(clock.now() + seconds(1));
  CHECK(tracker.consistent_through() == clock.now() - std::chrono::microseconds(1));

  const auto as_of = clock.now();
  clock.advance(seconds(1));
  tracker.caught_up(as_of);
  CHECK_FALSE(tracker.held());
  // Released: this process's own pending statement still counts.
  CHECK(tracker.pending_count() == 1);
  CHECK(tracker.consistent_through() == as_of - std::chrono::microseconds(1));
  tracker.settled({"acme", "new"});
  CHECK(tracker.consistent_through() == clock.now());
}

TEST_CASE("Consistent-Through: caught_up settles statements older than the publish bound", "[xapi][materialise]") {
  using std::chrono::seconds;
  core::ManualClock clock{*core::parse_rfc3339("2026-11-25T09:30:00Z")};
  ConsistencyTracker tracker(clock, std::chrono::microseconds(seconds(12)));
  // Published here, materialised by another replica (which owns its partition): never settled().
  const auto t0 = clock.now();
  const std::vector<EventKey> elsewhere = {{"acme", "a"}};
  tracker.pending(elsewhere, t0);
  clock.advance(seconds(10));
  const std::vector<EventKey> recent = {{"acme", "b"}};
  tracker.pending(recent, clock.now());
  const auto t1 = clock.now();
  // Caught up with the ends read 11 s after a's stored time: a may still have been on its way.
  tracker.caught_up(t0 + seconds(11));
  CHECK(tracker.pending_count() == 2);
  CHECK(tracker.consistent_through() == t0 - std::chrono::microseconds(1));
  clock.advance(seconds(3));
  tracker.caught_up(t0 + seconds(12) + std::chrono::microseconds(1));
  CHECK(tracker.pending_count() == 1);
  CHECK(tracker.consistent_through() == t1 - std::chrono::microseconds(1));
  // Without a bound, only settled() settles.
  ConsistencyTracker unbounded(clock);
  unbounded.pending(elsewhere, t0);
  unbounded.caught_up(clock.now() + seconds(3600));
  CHECK(unbounded.pending_count() == 1);
}

TEST_CASE("format=ids keeps only identifiers; canonical keeps one language", "[xapi][materialise]") {
  const json s = json::parse(R"({"id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "actor": {"objectType": "Group", "name": "Team", "member": [{"name": "Ada", "mbox": "mailto:ada@example.com"}]},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "de": "beendet"}},
    "object": {"id": "http://example.com/a", "objectType": "Activity",
               "definition": {"name": {"en-US": "A", "de-DE": "Ä"}, "description": {"en-US": "d"}}},
    "context": {"instructor": {"name": "T", "account": {"homePage": "http://x.com", "name": "t"}},
                "contextActivities": {"parent": {"id": "http://example.com/p", "definition": {"name": {"en": "P"}}}}},
    "result": {"success": true}})");
  const json ids = ids_format(s);
  CHECK(ids["actor"] == json::parse(R"({"objectType": "Group", "member": [{"mbox": "mailto:ada@example.com"}]})"));
  CHECK(ids["verb"] == json::parse(R"({"id": "http://adlnet.gov/expapi/verbs/completed"})"));
  CHECK(ids["object"] == json::parse(R"({"id": "http://example.com/a", "objectType": "Activity"})"));
  CHECK(ids["context"]["instructor"] == json::parse(R"({"account": {"homePage": "http://x.com", "name": "t"}})"));
  CHECK(ids["context"]["contextActivities"]["parent"] == json::parse(R"({"id": "http://example.com/p"})"));
  CHECK(ids["result"] == s["result"]);

  // RFC 2616 14.4: "de-CH" does not match "de" (a range matches its tag and longer ones); a client that
  // takes any German says so ("de-CH, de;q=0.9").
  const json swiss = canonical_format(s, accepted_languages("de-CH, en;q=0.8"));
  CHECK(swiss["verb"]["display"] == json::parse(R"({"en-US": "completed"})"));
  const json de = canonical_format(s, accepted_languages("de-CH, de;q=0.9, en;q=0.8"));
  CHECK(de["verb"]["display"] == json::parse(R"({"de": "beendet"})"));
  CHECK(de["object"]["definition"]["name"] == json::parse(R"({"de-DE": "Ä"})"));
  CHECK(de["object"]["definition"]["description"] == json::parse(R"({"en-US": "d"})"));
  const json en = canonical_format(s, accepted_languages("en-US"));
  CHECK(en["verb"]["display"] == json::parse(R"({"en-US": "completed"})"));
  const json none = canonical_format(s, {});
  CHECK(none["verb"]["display"].size() == 1);
  CHECK(accepted_languages("fr;q=0.5, de, *;q=0.1, it;q=0") == std::vector<std::string>{"de", "fr", "*"});
}

TEST_CASE("columns_of: the agents and activities related_agents / related_activities match", "[xapi][materialise]") {
  const json s = json::parse(R"({"id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", "stored": "2026-11-25T09:30:00.000Z",
    "actor": {"mbox": "mailto:ada@example.com"}, "verb": {"id": "http://example.com/v"},
    "authority": {"account": {"homePage": "http://lrs.x", "name": "key"}},
    "object": {"objectType": "SubStatement", "actor": {"mbox": "mailto:sub@example.com"},
               "verb": {"id": "http://example.com/w"}, "object": {"id": "http://example.com/inner"},
               "context": {"contextActivities": {"parent": [{"id": "http://example.com/inner-parent"}]}}},
    "context": {"instructor": {"mbox": "mailto:teacher@example.com"},
                "team": {"objectType": "Group", "mbox": "mailto:team@example.com"},
                "contextActivities": {"grouping": {"id": "http://example.com/program"},
                                      "category": [{"id": "http://example.com/profile"}]}}})");
  const auto c = columns_of(s);
  REQUIRE(c.ok());
  CHECK(c->related_agents == std::vector<std::string>{"account:http://lrs.x#key", "mbox:mailto:ada@example.com",
                                                      "mbox:mailto:sub@example.com", "mbox:mailto:teacher@example.com",
                                                      "mbox:mailto:team@example.com"});
  CHECK(c->related_activities == std::vector<std::string>{"http://example.com/inner", "http://example.com/inner-parent",
                                                          "http://example.com/profile", "http://example.com/program"});
  CHECK_FALSE(c->activity_id);  // the object is a SubStatement
}
