// The evaluator with a fake clock: windows, lateness, absence, sequences, schedules, once-per,
// cooldowns, evidence, deterministic ids and checkpoint/restore.
#include <catch2/catch.hpp>

#include <set>

#include "adapters/zoneinfo_time_zones.h"
#include "domain/engine.h"
#include "edfleet/core/time_format.h"
#include "test_support.h"

using namespace edfleet;
using namespace edfleet::rules;
using namespace std::chrono_literals;

namespace {

using testing::at;
using testing::uuid;

struct Harness {
  core::ManualClock clock{at("2026-11-02T00:00:00Z")};
  ZoneinfoTimeZones zones;
  Engine engine;
  std::vector<Action> actions;
  int next_id = 1;

  explicit Harness(const std::string& text, std::int64_t lateness_us = 0)
      : engine(options(lateness_us), clock) {
    load(text);
    engine.open_partition(0);
  }

  EngineOptions options(std::int64_t lateness_us) {
    EngineOptions o;
    o.allowed_lateness_us = lateness_us;
    o.partitions = 1;
    o.zone = [this](const std::string& name) { return zones.find(name); };
    o.tenant_zone = [this](const std::string&) { return zones.find("Europe/Paris"); };
    return o;
  }

  void load(const std::string& text, std::uint32_t version = 1) {
    auto compiled = compile_text(text, "acme", version, [this](std::string_view z) { return zones.find(std::string(z)) != nullptr; });
    INFO((compiled.errors.empty() ? std::string() : format_diagnostic(compiled.errors[0])));
    REQUIRE(compiled.ok());
    engine.set_rules(std::make_shared<RuleSet>(compiled.rules));
  }

  // An event at `time` (the clock follows event time, as in a live stream).
  Event event(const std::string& type, const std::string& learner, const char* time,
              std::vector<std::pair<std::string, Value>> fields = {}) {
    Event e;
    e.id = uuid(next_id++);
    e.tenant = "acme";
    e.type = type;
    e.occurred_at = at(time);
    e.set_subject(learner, "", "", "", "test");
    for (auto& [path, value] : fields) e.set(path, std::move(value));
    return e;
  }

  std::vector<Action> send(const Event& e) {
    if (clock.now() < e.occurred_at) clock.set(e.occurred_at);
    std::vector<Action> out;
    engine.process(0, e, out);
    actions.insert(actions.end(), out.begin(), out.end());
    return out;
  }

  std::vector<Action> send(const std::string& type, const std::string& learner, const char* time,
                           std::vector<std::pair<std::string, Value>> fields = {}) {
    return send(event(type, learner, time, std::move(fields)));
  }

  std::vector<Action> advance(const char* time) {
    clock.set(at(time));
    std::vector<Action> out;
    engine.advance_to_clock(0, out);
    actions.insert(actions.end(), out.begin(), out.end());
    return out;
  }
};

double value(const Action& a, const std::string& name) {
  for (const auto& [k, v] : a.values) {
    if (k == name) return v;
  }
  FAIL("no value " << name);
  return 0;
}

}  // namespace

TEST_CASE("a filter rule fires once per matching event, with evidence and a deterministic id") {
  Harness h(R"(rule ace "Quiz ace" on quiz.submitted where score / max_score >= 0.9 and quiz_id in ("q1")
    then award_badge("quiz_ace"), notify(learner_id, "ace", [email], {score: score}))");
  auto a = h.send("quiz.submitted", "l1", "2026-11-02T10:00:00Z",
                  {{"quiz_id", Value::of("q1")}, {"score", Value::of(9.5)}, {"max_score", Value::of(10.0)}});
  REQUIRE(a.size() == 2);
  CHECK(a[0].kind == ActionKind::kAwardBadge);
  CHECK(a[0].target == "quiz_ace");
  CHECK(a[0].subject_id == "l1");
  CHECK(a[0].key.empty());
  CHECK(a[0].event_ids == std::vector<std::string>{uuid(1)});
  CHECK(a[0].id == action_id("acme", "ace", 1, "", "event:" + uuid(1), 0));
  CHECK(a[1].kind == ActionKind::kNotify);
  CHECK(a[1].target == "l1");
  CHECK(a[1].channels == std::vector<std::string>{"email"});
  CHECK(a[1].variables == std::vector<std::pair<std::string, std::string>>{{"score", "9.5"}});
  CHECK(a[0].id != a[1].id);
  CHECK(h.send("quiz.submitted", "l1", "2026-11-02T10:01:00Z",
               {{"quiz_id", Value::of("q1")}, {"score", Value::of(5.0)}, {"max_score", Value::of(10.0)}})
            .empty());
  CHECK(h.send("quiz.submitted", "l1", "2026-11-02T10:02:00Z",
               {{"quiz_id", Value::of("q2")}, {"score", Value::of(10.0)}, {"max_score", Value::of(10.0)}})
            .empty());
}

TEST_CASE("xAPI paths, regex, exists and proto3 defaults") {
  Harness h(R"(rule done on xapi.statement
      where statement.verb.id matches "completed$" and statement.result.score.scaled exists
      then award_badge("done")
    rule failed_first on ops.session_completed where outcome == "failed" and first_session
      then notify(learner_id, "first_session_follow_up", [email]))");
  CHECK(h.send("xapi.statement", "l1", "2026-11-02T10:00:00Z",
               {{"statement.verb.id", Value::of("http://adlnet.gov/expapi/verbs/completed")}})
            .empty());
  CHECK(h.send("xapi.statement", "l1", "2026-11-02T10:00:01Z",
               {{"statement.verb.id", Value::of("http://adlnet.gov/expapi/verbs/completed")},
                {"statement.result.score.scaled", Value::of(0.5)}})
            .size() == 1);
  // first_session unset reads as false (proto3 default).
  CHECK(h.send("ops.session_completed", "l1", "2026-11-02T10:00:02Z", {{"outcome", Value::of("failed")}}).empty());
  CHECK(h.send("ops.session_completed", "l1", "2026-11-02T10:00:03Z",
               {{"outcome", Value::of("failed")}, {"first_session", Value::of(true)}})
            .size() == 1);
}

TEST_CASE("sliding count window per key with a threshold and cooldown") {
  Harness h(R"(rule spike by learner_id
    let calls = count(ops.ib_call_logged) over sliding 14d
    on ops.ib_call_logged when calls >= 2 cooldown 14d
    then raise_alert("support_spike", "medium"))");
  CHECK(h.send("ops.ib_call_logged", "l1", "2026-11-01T09:00:00Z").empty());
  CHECK(h.send("ops.ib_call_logged", "l2", "2026-11-02T09:00:00Z").empty());
  // 14 days + 1 s later: the first call left the window.
  CHECK(h.send("ops.ib_call_logged", "l1", "2026-11-15T09:00:01Z").empty());
  auto a = h.send("ops.ib_call_logged", "l1", "2026-11-16T09:00:00Z");
  REQUIRE(a.size() == 1);
  CHECK(a[0].key == "l1");
  CHECK(value(a[0], "count(ops.ib_call_logged) over sliding 2w") == 2);
  CHECK(a[0].event_ids.size() == 2);       // the trigger and the other call in the window
  CHECK(a[0].explanation == "calls >= 2 (learner_id l1)");
  // Cooldown: a third call inside 14 days does not alert again.
  CHECK(h.send("ops.ib_call_logged", "l1", "2026-11-17T09:00:00Z").empty());
  CHECK(h.engine.stats().suppressed == 1);
  CHECK(h.send("ops.ib_call_logged", "l1", "2026-12-01T08:00:00Z").size() == 1);
}

TEST_CASE("sum, avg, min, max, distinct and trend") {
  Harness h(R"(rule stats by learner_id
    let total = sum(quiz.submitted, score) over 7d
    let mean = avg(quiz.submitted, score) over 7d
    let low = min(quiz.submitted, score) over 7d
    let high = max(quiz.submitted, score) over 7d
    let quizzes = distinct(quiz.submitted, quiz_id) over 7d
    let slope = trend(quiz.submitted, score) over 7d
    on quiz.submitted when quizzes >= 3 and slope > 0
    then request_insight("progress"))");
  h.send("quiz.submitted", "l1", "2026-11-02T00:00:00Z", {{"quiz_id", Value::of("a")}, {"score", Value::of(4.0)}});
  h.send("quiz.submitted", "l1", "2026-11-03T00:00:00Z", {{"quiz_id", Value::of("a")}, {"score", Value::of(6.0)}});
  CHECK(h.actions.empty());
  auto a = h.send("quiz.submitted", "l1", "2026-11-04T00:00:00Z", {{"quiz_id", Value::of("b")}, {"score", Value::of(8.0)}});
  CHECK(a.empty());  // only 2 distinct quizzes
  a = h.send("quiz.submitted", "l1", "2026-11-05T00:00:00Z", {{"quiz_id", Value::of("c")}, {"score", Value::of(10.0)}});
  REQUIRE(a.size() == 1);
  CHECK(value(a[0], "sum(quiz.submitted, score) over sliding 1w") == 28);
  CHECK(value(a[0], "avg(quiz.submitted, score) over sliding 1w") == 7);
  CHECK(value(a[0], "min(quiz.submitted, score) over sliding 1w") == 4);
  CHECK(value(a[0], "max(quiz.submitted, score) over sliding 1w") == 10);
  CHECK(value(a[0], "distinct(quiz.submitted, quiz_id) over sliding 1w") == 3);
  CHECK(value(a[0], "trend(quiz.submitted, score) over sliding 1w") == Approx(2.0));  // +2 per day
  CHECK(a[0].subject_id == "l1");
}

TEST_CASE("tumbling windows fire at most once per window") {
  Harness h(R"(rule busy_day by learner_id
    let n = count(xapi.statement) over tumbling 1d
    on xapi.statement when n >= 2
    then award_badge("busy_day"))");
  h.send("xapi.statement", "l1", "2026-11-02T08:00:00Z");
  auto a = h.send("xapi.statement", "l1", "2026-11-02T09:00:00Z");
  REQUIRE(a.size() == 1);
  CHECK(a[0].id == action_id("acme", "busy_day", 1, "l1", "window:" + std::to_string(at("2026-11-02T00:00:00Z").time_since_epoch().count()), 0));
  CHECK(h.send("xapi.statement", "l1", "2026-11-02T10:00:00Z").empty());
  CHECK(h.send("xapi.statement", "l1", "2026-11-03T00:30:00Z").empty());  // new window: 1 so far
  CHECK(h.send("xapi.statement", "l1", "2026-11-03T00:40:00Z").size() == 1);
}

TEST_CASE("late events: within the allowed lateness they count, after it they are dropped") {
  Harness h(R"(rule two by learner_id let n = count(quiz.submitted) over 1h on quiz.submitted when n >= 2
    then award_badge("two"))", 5LL * 60'000'000);  // 5 minutes
  h.send("quiz.submitted", "l1", "2026-11-02T10:00:00Z");
  h.send("quiz.submitted", "l2", "2026-11-02T10:30:00Z");  // watermark 10:25
  auto a = h.send("quiz.submitted", "l1", "2026-11-02T10:27:00Z");  // late by event order, not by watermark
  CHECK(a.size() == 1);
  CHECK(h.send("quiz.submitted", "l3", "2026-11-02T10:20:00Z").empty());  // behind the watermark
  CHECK(h.send("quiz.submitted", "l3", "2026-11-02T10:31:00Z").empty());  // the late one did not count
  CHECK(h.engine.stats().late_events == 1);
}

TEST_CASE("absence: no activity for 7 days, on the watermark, and on a later event") {
  Harness h(R"(rule inactive by learner_id absent xapi.statement for 7d
    then notify(learner_id, "we_miss_you", [email]))");
  h.send("xapi.statement", "l1", "2026-11-02T10:00:00Z");
  h.send("xapi.statement", "l2", "2026-11-02T10:00:00Z");
  h.send("xapi.statement", "l2", "2026-11-08T10:00:00Z");  // l2 stays active
  CHECK(h.advance("2026-11-09T09:59:59Z").empty());
  auto a = h.advance("2026-11-09T10:00:00Z");
  REQUIRE(a.size() == 1);
  CHECK(a[0].key == "l1");
  CHECK(a[0].target == "l1");
  CHECK(a[0].fired_at == at("2026-11-09T10:00:00Z"));
  CHECK(a[0].event_ids == std::vector<std::string>{uuid(1)});
  CHECK(a[0].explanation == "no xapi.statement for 1w (learner_id l1)");
  CHECK(h.advance("2026-11-20T00:00:00Z").size() == 1);  // l2, from its last statement; l1 not again
  CHECK(h.actions.back().key == "l2");
}

TEST_CASE("absence after a starting event") {
  Harness h(R"(rule follow_up by learner_id
    absent ops.session_started for 1h after ops.session_completed where outcome == "failed"
    then notify("ops", "rebook_after_failure", [in_app]))");
  h.send("ops.session_completed", "l1", "2026-11-02T10:00:00Z", {{"outcome", Value::of("failed")}});
  h.send("ops.session_completed", "l2", "2026-11-02T10:00:00Z", {{"outcome", Value::of("failed")}});
  h.send("ops.session_started", "l2", "2026-11-02T10:30:00Z");
  h.send("ops.session_completed", "l3", "2026-11-02T10:00:00Z", {{"outcome", Value::of("completed")}});
  auto a = h.advance("2026-11-02T11:00:00Z");
  REQUIRE(a.size() == 1);
  CHECK(a[0].key == "l1");
  CHECK(a[0].target == "ops");
}

TEST_CASE("sequences: A then B within D, and A not followed by B within D") {
  Harness h(R"(rule quick_start by session_id sequence session.scheduled then session.started within 15m
      then award_badge("punctual")
    rule no_show by learner_id sequence ops.session_started not followed by ops.session_completed within 2h
      then raise_alert("session_not_completed", "low"))");
  auto s = [&](const char* type, const char* session, const char* time) {
    Event e = h.event(type, "", time);
    e.set("session_id", Value::of(session));
    return h.send(e);
  };
  s("session.scheduled", "s1", "2026-11-02T10:00:00Z");
  CHECK(s("session.started", "s1", "2026-11-02T10:10:00Z").size() == 1);
  CHECK(s("session.started", "s1", "2026-11-02T10:11:00Z").empty());  // consumed
  s("session.scheduled", "s2", "2026-11-02T10:00:00Z");
  CHECK(s("session.started", "s2", "2026-11-02T10:20:00Z").empty());  // too late

  h.send("ops.session_started", "l1", "2026-11-02T12:00:00Z");
  h.send("ops.session_started", "l2", "2026-11-02T12:00:00Z");
  CHECK(h.send("ops.session_completed", "l2", "2026-11-02T13:00:00Z").empty());
  auto a = h.advance("2026-11-02T14:00:00Z");
  REQUIRE(a.size() == 1);
  CHECK(a[0].key == "l1");
  CHECK(a[0].kind == ActionKind::kRaiseAlert);
}

TEST_CASE("schedules fire in the tenant's time zone, per key, on the watermark") {
  Harness h(R"(rule weekly by learner_id let n = count(xapi.statement) over 7d
    every monday at 09:00 when n >= 1 then notify(learner_id, "weekly_digest", [email])
    rule daily every day at 18:00 in "UTC" then request_insight("daily_digest"))");
  h.send("xapi.statement", "l1", "2026-11-04T12:00:00Z");  // a Wednesday
  // Monday 2026-11-09 09:00 in Paris (UTC+1) is 08:00 UTC.
  CHECK(h.advance("2026-11-04T17:59:59Z").empty());
  auto daily = h.advance("2026-11-04T18:00:00Z");
  REQUIRE(daily.size() == 1);
  CHECK(daily[0].target == "daily_digest");
  CHECK(h.advance("2026-11-09T07:59:59Z").size() == 4);  // 4 more daily digests, no weekly yet
  auto weekly = h.advance("2026-11-09T08:00:00Z");
  REQUIRE(weekly.size() == 1);
  CHECK(weekly[0].key == "l1");
  CHECK(weekly[0].fired_at == at("2026-11-09T08:00:00Z"));
  // The next Monday l1 has been quiet for 7 days: nothing.
  auto next = h.advance("2026-11-16T08:00:00Z");
  for (const auto& a : next) CHECK(a.target == "daily_digest");
}

TEST_CASE("once per key, and once per key per window (ids shared across versions)") {
  Harness h(R"(rule streak by learner_id
      let days = distinct(xapi.statement, statement.day) over 5d
      on xapi.statement when days >= 2 once per learner_id
      then award_badge("streak")
    rule gap on ops.supply_demand_update where available_tutors < open_requests once per subject_area per 1h
      then raise_alert("tutor_supply_gap", "medium"))");
  h.send("xapi.statement", "l1", "2026-11-02T10:00:00Z", {{"statement.day", Value::of("mon")}});
  CHECK(h.send("xapi.statement", "l1", "2026-11-03T10:00:00Z", {{"statement.day", Value::of("tue")}}).size() == 1);
  CHECK(h.send("xapi.statement", "l1", "2026-11-04T10:00:00Z", {{"statement.day", Value::of("wed")}}).empty());
  CHECK(h.actions.back().id == action_id("acme", "streak", 0, "l1", "once:l1", 0));

  auto gap = [&](const char* time, double open) {
    return h.send("ops.supply_demand_update", "", time,
                  {{"subject_area", Value::of("algebra")}, {"open_requests", Value::of(open)},
                   {"available_tutors", Value::of(3.0)}});
  };
  CHECK(gap("2026-11-04T11:00:00Z", 5).size() == 1);
  CHECK(gap("2026-11-04T11:30:00Z", 5).empty());
  CHECK(gap("2026-11-04T11:40:00Z", 1).empty());
  CHECK(gap("2026-11-04T12:10:00Z", 5).size() == 1);
  // A new version of the rule keeps the once-markers: no second badge.
  h.load(R"(rule streak by learner_id
      let days = distinct(xapi.statement, statement.day) over 5d
      on xapi.statement when days >= 1 once per learner_id
      then award_badge("streak"))", 2);
  CHECK(h.send("xapi.statement", "l1", "2026-11-05T10:00:00Z", {{"statement.day", Value::of("thu")}}).empty());
}

TEST_CASE("checkpoint and restore resume windows, timers and markers exactly") {
  const std::string rules = R"(rule two by learner_id let n = count(quiz.submitted) over 1d on quiz.submitted when n >= 2
      then award_badge("two")
    rule inactive by learner_id absent xapi.statement for 1d then notify(learner_id, "nudge", [email])
    rule once_only by learner_id let n = count(quiz.submitted) over 1d on quiz.submitted when n >= 1 once per learner_id
      then award_badge("first_quiz"))";
  Harness a(rules);
  a.send("quiz.submitted", "l1", "2026-11-02T10:00:00Z");
  a.send("xapi.statement", "l2", "2026-11-02T10:00:00Z");
  auto snapshot = a.engine.take_checkpoint(0);
  CHECK_FALSE(snapshot.rows.empty());
  CHECK_FALSE(a.engine.dirty(0));

  Harness b(rules);
  b.next_id = 100;
  b.clock.set(a.clock.now());
  b.engine.restore_partition(0, snapshot);
  CHECK(b.engine.watermark(0) == a.engine.watermark(0));
  auto fired = b.send("quiz.submitted", "l1", "2026-11-02T11:00:00Z");
  REQUIRE(fired.size() == 1);  // the window came back (and first_quiz did not fire twice)
  CHECK(fired[0].target == "two");
  auto timer = b.advance("2026-11-03T10:00:00Z");
  REQUIRE(timer.size() == 1);  // the absence timer came back
  CHECK(timer[0].key == "l2");

  // Incremental checkpoints carry only what changed; emptied keys are deleted by sweep.
  auto second = b.engine.take_checkpoint(0);
  CHECK(second.rows.size() >= 2);
  b.advance("2026-11-05T00:00:00Z");
  CHECK(b.engine.sweep(0) >= 1);
  auto third = b.engine.take_checkpoint(0);
  bool deleted = false;
  for (const auto& row : third.rows) deleted = deleted || row.deleted;
  CHECK(deleted);
}

TEST_CASE("the same input yields the same action ids") {
  const std::string rules = R"(rule spike by learner_id let n = count(ops.ib_call_logged) over 14d on ops.ib_call_logged
    when n >= 2 then raise_alert("support_spike", "high"))";
  std::set<std::string> first, second;
  for (auto* ids : {&first, &second}) {
    Harness h(rules);
    for (int i = 0; i < 20; ++i) {
      char time[32];
      std::snprintf(time, sizeof time, "2026-11-%02dT10:00:00Z", 2 + i / 4);
      h.send("ops.ib_call_logged", "l" + std::to_string(i % 4), time);
    }
    for (const auto& a : h.actions) ids->insert(a.id);
  }
  CHECK(first.size() == 16);
  CHECK(first == second);
}

TEST_CASE("dispatch index: only rules that can match are evaluated") {
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += "rule r" + std::to_string(i) + " on ops.ib_call_logged where reason == \"r" + std::to_string(i) +
            "\" then raise_alert(\"x\", \"low\")\n";
  }
  text += "rule any on ops.ib_call_logged where duration_seconds > 100 then raise_alert(\"long\", \"low\")\n";
  Harness h(text);
  Event e = h.event("ops.ib_call_logged", "l1", "2026-11-02T10:00:00Z", {{"reason", Value::of("r7")}, {"duration_seconds", Value::of(200.0)}});
  std::vector<std::uint32_t> candidates;
  h.engine.rules().candidates(e, candidates);
  CHECK(candidates.size() == 2);
  auto a = h.send(e);
  REQUIRE(a.size() == 2);
}

TEST_CASE("time zones from zoneinfo") {
  ZoneinfoTimeZones zones;
  const TimeZone* paris = zones.find("Europe/Paris");
  REQUIRE(paris != nullptr);
  CHECK(paris->offset_at(at("2026-07-01T00:00:00Z").time_since_epoch().count() / 1'000'000) == 7200);
  CHECK(paris->offset_at(at("2026-12-01T00:00:00Z").time_since_epoch().count() / 1'000'000) == 3600);
  CHECK(zones.find("Nowhere/Atlantis") == nullptr);
  CHECK(zones.find("../etc/passwd") == nullptr);
  // Daily 09:00 across the end of summer time (2026-10-25 in Europe).
  const auto before = at("2026-10-24T12:00:00Z").time_since_epoch().count();
  auto next = next_trigger_us(Schedule::Kind::kDaily, 0, 9, 0, *paris, before);
  CHECK(next == at("2026-10-25T08:00:00Z").time_since_epoch().count());
  next = next_trigger_us(Schedule::Kind::kDaily, 0, 9, 0, *paris, next);
  CHECK(next == at("2026-10-26T08:00:00Z").time_since_epoch().count());
  next = next_trigger_us(Schedule::Kind::kWeekly, 4, 17, 30, TimeZone(), next);  // Friday
  CHECK(next == at("2026-10-30T17:30:00Z").time_since_epoch().count());
}
