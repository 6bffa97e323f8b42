// Repartitioning with a fake clock: a rule grouped by a field its events are not partitioned by
// (per course over learner-keyed events) runs in a second engine fed by the events stage's
// forwarded records; duplicates of a retried batch are skipped, also after a checkpoint/restore.
// Plus the order-of-arrival edge cases of sequences.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "domain/backtest.h"
#include "domain/engine.h"
#include "edfleet/core/time_format.h"
#include "test_support.h"

using namespace edfleet;
using namespace edfleet::rules;

namespace {

using testing::at;
using testing::uuid;

std::vector<std::shared_ptr<const CompiledRule>> compile(const std::string& text) {
  auto compiled = compile_text(text, "acme", 1, [](std::string_view) { return true; });
  INFO((compiled.errors.empty() ? std::string() : format_diagnostic(compiled.errors[0])));
  REQUIRE(compiled.ok());
  return compiled.rules;
}

std::shared_ptr<const RuleSet> stage_rules(const std::vector<std::shared_ptr<const CompiledRule>>& all, RuleStage stage) {
  std::vector<std::shared_ptr<const CompiledRule>> out;
  for (const auto& r : all) {
    if (in_stage(*r, stage)) out.push_back(r);
  }
  return std::make_shared<RuleSet>(std::move(out));
}

Event quiz(int n, const std::string& learner, const std::string& course, core::Timestamp time) {
  Event e;
  e.id = uuid(n);
  e.tenant = "acme";
  e.type = "quiz.submitted";
  e.occurred_at = time;
  e.set_subject(learner, "", "", course, "test");
  e.set("score", Value::of(7.0));
  return e;
}

EngineOptions options(std::int64_t lateness_us) {
  EngineOptions o;
  o.allowed_lateness_us = lateness_us;
  o.partitions = 2;
  return o;
}

// The two stages in memory: source partition = learner's hash, destination = group value's hash.
struct Pipeline {
  std::vector<std::shared_ptr<const CompiledRule>> all;
  core::ManualClock clock{at("2026-11-02T00:00:00Z")};
  Engine events{options(3'600'000'000), clock};
  std::unique_ptr<Engine> grouped = std::make_unique<Engine>(options(3'600'000'000), clock);
  std::shared_ptr<const RuleSet> forwarding;
  std::vector<Action> actions;
  std::map<std::int32_t, std::int64_t> offsets;  // next offset per source partition
  std::uint64_t skipped = 0;

  explicit Pipeline(const std::string& text) : all(compile(text)) {
    events.set_rules(stage_rules(all, RuleStage::kPartitioned));
    forwarding = stage_rules(all, RuleStage::kRepartitioned);
    grouped->set_rules(forwarding);
  }

  static std::int32_t partition_of(const std::string& key) {
    return static_cast<std::int32_t>(std::hash<std::string>{}(key) % 2);
  }

  struct Sent {
    Event event;
    std::int32_t source;
    std::int64_t offset;
  };
  std::vector<Sent> log;

  // One record through the events stage (at the next offset of its learner's partition).
  void send(const Event& e) {
    if (clock.now() < e.occurred_at) clock.set(e.occurred_at);
    const std::int32_t source = partition_of(e.get(field_id("learner_id"))->text);
    const std::int64_t offset = offsets[source]++;
    log.push_back({e, source, offset});
    events.process(source, e, actions);
    forward(log.back());
  }

  // What the events stage forwards for one record, as the repartitioned stage receives it.
  void forward(const Sent& s) {
    for (const auto& [group, value] : forwarding->group_keys(s.event)) {
      const std::int32_t destination = partition_of(s.event.tenant + "/" + value);
      if (!grouped->accept_source(destination, s.source, s.offset, group)) {
        ++skipped;
        continue;
      }
      grouped->process(destination, s.event, actions, field_id(group));
    }
  }
};

}  // namespace

TEST_CASE("a per-course aggregate over learner-keyed events sees every event of the course once") {
  Pipeline p(R"(rule busy_course by course_id let n = count(quiz.submitted) over sliding 1d on quiz.submitted
      when n >= 6 then raise_alert("busy_course", "low")
    rule learner_quizzes by learner_id let n = count(quiz.submitted) over 1d on quiz.submitted when n >= 100
      then award_badge("never"))");
  REQUIRE(p.all[0]->repartitioned);
  REQUIRE_FALSE(p.all[1]->repartitioned);

  // 6 learners (spread over both source partitions) submit one quiz each in course c1, one in c2.
  std::vector<Event> sent;
  const char* times[] = {"2026-11-02T10:00:00Z", "2026-11-02T10:01:00Z", "2026-11-02T10:02:00Z",
                         "2026-11-02T10:03:00Z", "2026-11-02T10:04:00Z", "2026-11-02T10:05:00Z"};
  for (int i = 0; i < 6; ++i) {
    sent.push_back(quiz(i + 1, "l" + std::to_string(i), "c1", at(times[i])));
    sent.push_back(quiz(i + 101, "l" + std::to_string(i), "c2", at(times[i])));
  }
  for (int i = 0; i < 10; ++i) p.send(sent[static_cast<std::size_t>(i)]);
  std::set<std::int32_t> sources;
  for (const auto& s : p.log) {
    if (s.event.get(field_id("course_id"))->text == "c1") sources.insert(s.source);
  }
  CHECK(sources.size() == 2);  // the course's events really come from both source partitions
  CHECK(p.actions.empty());
  // The events stage retries its last batches: the same records are forwarded again and skipped.
  const auto log = p.log;
  for (const auto& s : log) p.forward(s);
  CHECK(p.skipped == 10);
  CHECK(p.actions.empty());  // duplicates did not count

  p.send(sent[10]);  // the 6th quiz of c1
  REQUIRE(p.actions.size() == 1);
  const Action& a = p.actions[0];
  CHECK(a.rule_id == "busy_course");
  CHECK(a.key == "c1");
  REQUIRE(a.values.size() == 1);
  CHECK(a.values[0].first == "count(quiz.submitted) over sliding 1d");
  CHECK(a.values[0].second == 6);
  std::set<std::string> ids(a.event_ids.begin(), a.event_ids.end());
  CHECK(ids == std::set<std::string>{uuid(1), uuid(2), uuid(3), uuid(4), uuid(5), uuid(6)});
  CHECK(a.event_ids.size() == 6);
  CHECK(a.explanation == "n >= 6 (course_id c1)");
  p.send(sent[11]);
  REQUIRE(p.actions.size() == 2);
  CHECK(p.actions[1].key == "c2");
}

TEST_CASE("the repartitioned stage resumes from its checkpoint, duplicates included") {
  Pipeline p(R"(rule tutor_load by tutor_id let n = count(ops.session_completed) over sliding 1d
      on ops.session_completed when n >= 3 then raise_alert("tutor_load", "info")
    rule no_rating by tutor_id absent ops.session_completed for 2h then notify("ops", "tutor_idle", [in_app]))");
  auto session = [&](int n, const std::string& learner, const char* time) {
    Event e;
    e.id = uuid(n);
    e.tenant = "acme";
    e.type = "ops.session_completed";
    e.occurred_at = at(time);
    e.set_subject(learner, "t1", "s" + std::to_string(n), "", "test");
    p.send(e);
  };
  session(1, "l1", "2026-11-02T10:00:00Z");
  session(2, "l2", "2026-11-02T10:10:00Z");
  // Checkpoint every partition of the repartitioned stage, and "crash".
  std::map<std::int32_t, PartitionSnapshot> snapshots;
  for (auto partition : p.grouped->partitions()) snapshots[partition] = p.grouped->take_checkpoint(partition);
  REQUIRE_FALSE(snapshots.empty());
  p.grouped = std::make_unique<Engine>(options(3'600'000'000), p.clock);
  p.grouped->set_rules(p.forwarding);
  for (const auto& [partition, snapshot] : snapshots) p.grouped->restore_partition(partition, snapshot);
  // The events stage had not checkpointed the second record: it forwards it again.
  p.forward(p.log[1]);
  CHECK(p.skipped == 1);
  CHECK(p.actions.empty());
  session(3, "l3", "2026-11-02T10:20:00Z");
  REQUIRE(p.actions.size() == 1);
  CHECK(p.actions[0].rule_id == "tutor_load");
  CHECK(p.actions[0].key == "t1");
  CHECK(p.actions[0].values.at(0).second == 3);
  // The absence timer (per tutor) came back with the state and fires on the watermark.
  p.clock.set(at("2026-11-02T14:00:00Z"));
  for (auto partition : p.grouped->partitions()) p.grouped->advance_to_clock(partition, p.actions);
  REQUIRE(p.actions.size() == 2);
  CHECK(p.actions[1].rule_id == "no_rating");
  CHECK(p.actions[1].key == "t1");
  CHECK(p.actions[1].event_ids == std::vector<std::string>{uuid(3)});
}

TEST_CASE("accept_source orders records by source offset, then group field") {
  core::ManualClock clock{at("2026-11-02T00:00:00Z")};
  Engine engine(options(0), clock);
  CHECK(engine.accept_source(0, 3, 10, "course_id"));
  CHECK(engine.accept_source(0, 3, 10, "tutor_id"));   // the same event, another group field
  CHECK_FALSE(engine.accept_source(0, 3, 10, "course_id"));
  CHECK_FALSE(engine.accept_source(0, 3, 9, "tutor_id"));
  CHECK(engine.accept_source(0, 4, 1, "course_id"));   // another source partition
  CHECK(engine.accept_source(1, 3, 1, "course_id"));   // another destination partition
  CHECK(engine.accept_source(0, 3, 11, "course_id"));
  // Kept in the checkpointed meta.
  auto snapshot = engine.take_checkpoint(0);
  Engine restored(options(0), clock);
  restored.restore_partition(0, snapshot);
  CHECK_FALSE(restored.accept_source(0, 3, 11, "course_id"));
  CHECK_FALSE(restored.accept_source(0, 4, 1, "course_id"));
  CHECK(restored.accept_source(0, 3, 12, "course_id"));
}

TEST_CASE("backtest runs repartitioned rules over every partition's events together") {
  auto rules = compile(R"(rule busy_course by course_id let n = count(quiz.submitted) over sliding 1d
      on quiz.submitted when n >= 4 then raise_alert("busy_course", "low"))");
  Backtest backtest(rules, options(3'600'000'000), at("2026-11-02T00:00:00Z"), at("2026-11-03T00:00:00Z"));
  backtest.add(0, quiz(1, "l1", "c1", at("2026-11-02T10:00:00Z")));
  backtest.add(1, quiz(2, "l2", "c1", at("2026-11-02T10:01:00Z")));
  backtest.add(2, quiz(3, "l3", "c1", at("2026-11-02T10:02:00Z")));
  backtest.add(3, quiz(4, "l4", "c2", at("2026-11-02T10:03:00Z")));
  backtest.add(1, quiz(5, "l5", "c1", at("2026-11-02T10:04:00Z")));
  auto actions = backtest.finish();
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].key == "c1");
  CHECK(actions[0].event_ids.size() == 4);
}

// --- sequences and the order of arrival -------------------------------------------------------------

namespace {
struct Seq {
  core::ManualClock clock{at("2026-11-02T00:00:00Z")};
  Engine engine;
  std::vector<Action> actions;

  Seq(const std::string& text, std::int64_t lateness_us) : engine(options(lateness_us), clock) {
    engine.set_rules(std::make_shared<RuleSet>(compile(text)));
  }
  std::vector<Action> send(int n, const std::string& type, const char* time) {
    Event e;
    e.id = uuid(n);
    e.tenant = "acme";
    e.type = type;
    e.occurred_at = at(time);
    e.set_subject("l1", "", "", "", "test");
    if (clock.now() < e.occurred_at) clock.set(e.occurred_at);
    std::vector<Action> out;
    engine.process(0, e, out);
    actions.insert(actions.end(), out.begin(), out.end());
    return out;
  }
  std::vector<Action> advance(const char* time) {
    clock.set(at(time));
    std::vector<Action> out;
    engine.advance_to_clock(0, out);
    actions.insert(actions.end(), out.begin(), out.end());
    return out;
  }
};
const char* kNotFollowed = R"(rule unfinished by learner_id
  sequence ops.session_started not followed by ops.session_completed within 1h
  then raise_alert("session_not_completed", "low"))";
const char* kThen = R"(rule completed_soon by learner_id
  sequence ops.session_started then ops.session_completed within 1h then award_badge("quick"))";
}  // namespace

TEST_CASE("not followed by: a B that happened before A does not cancel it") {
  Seq s(kNotFollowed, 0);
  s.send(1, "ops.session_completed", "2026-11-02T09:50:00Z");
  s.send(2, "ops.session_started", "2026-11-02T10:00:00Z");
  auto fired = s.advance("2026-11-02T11:00:00Z");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].event_ids == std::vector<std::string>{uuid(2)});
  CHECK(fired[0].fired_at == at("2026-11-02T11:00:00Z"));
}

TEST_CASE("not followed by: a B that arrived first but happened after A cancels it") {
  Seq s(kNotFollowed, 2 * 3'600'000'000LL);  // 2 hours of allowed lateness
  s.send(1, "ops.session_completed", "2026-11-02T10:10:00Z");
  s.send(2, "ops.session_started", "2026-11-02T10:00:00Z");  // out of order, within the lateness
  CHECK(s.advance("2026-11-02T13:00:00Z").empty());          // watermark 11:00: A's deadline passed
  // A B at the same instant as A follows it; a B later than D does not.
  s.send(3, "ops.session_completed", "2026-11-02T13:00:00Z");
  s.send(4, "ops.session_started", "2026-11-02T13:00:00Z");
  s.send(5, "ops.session_completed", "2026-11-02T14:10:00Z");
  s.send(6, "ops.session_started", "2026-11-02T13:05:00Z");
  auto fired = s.advance("2026-11-02T17:00:00Z");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].event_ids == std::vector<std::string>{uuid(6)});
  CHECK(fired[0].fired_at == at("2026-11-02T14:05:00Z"));
}

TEST_CASE("not followed by: a late B still cancels an A whose deadline is ahead") {
  Seq s(kNotFollowed, 0);
  s.send(1, "ops.session_started", "2026-11-02T10:00:00Z");
  s.send(2, "xapi.statement", "2026-11-02T10:40:00Z");      // moves the watermark past 10:30
  s.send(3, "ops.session_completed", "2026-11-02T10:30:00Z");  // late, but within A's hour
  CHECK(s.advance("2026-11-02T12:00:00Z").empty());
}

TEST_CASE("A then B: a B that arrived first but happened after A completes the sequence once") {
  Seq in_order(kThen, 15 * 60'000'000LL);
  in_order.send(1, "ops.session_started", "2026-11-02T10:00:00Z");
  auto expected = in_order.send(2, "ops.session_completed", "2026-11-02T10:10:00Z");
  REQUIRE(expected.size() == 1);

  Seq reversed(kThen, 15 * 60'000'000LL);
  CHECK(reversed.send(2, "ops.session_completed", "2026-11-02T10:10:00Z").empty());
  auto fired = reversed.send(1, "ops.session_started", "2026-11-02T10:00:00Z");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].id == expected[0].id);  // the same action as in order
  CHECK(fired[0].event_ids == expected[0].event_ids);
  CHECK(fired[0].fired_at == at("2026-11-02T10:10:00Z"));
  // That B is used up; and a B before A does not complete a sequence.
  CHECK(reversed.send(3, "ops.session_started", "2026-11-02T10:05:00Z").empty());
  CHECK(reversed.send(4, "ops.session_completed", "2026-11-02T10:20:00Z").size() == 1);
  CHECK(reversed.send(5, "ops.session_completed", "2026-11-02T11:00:00Z").empty());
  CHECK(reversed.send(6, "ops.session_started", "2026-11-02T11:01:00Z").empty());
}

TEST_CASE("a sequence of one type does not pair an event with itself, in either order") {
  Seq s(R"(rule retry by learner_id sequence quiz.submitted then quiz.submitted within 10m then award_badge("retry"))",
        15 * 60'000'000LL);
  CHECK(s.send(1, "quiz.submitted", "2026-11-02T10:00:00Z").empty());
  CHECK(s.send(2, "quiz.submitted", "2026-11-02T10:05:00Z").size() == 1);
  CHECK(s.send(3, "quiz.submitted", "2026-11-02T10:30:00Z").empty());
  CHECK(s.send(4, "quiz.submitted", "2026-11-02T10:28:00Z").size() == 1);  // arrived after, happened before
}

TEST_CASE("sequence state with out-of-order Bs survives a checkpoint") {
  Seq a(kNotFollowed, 15 * 60'000'000LL);
  a.send(1, "ops.session_completed", "2026-11-02T10:10:00Z");
  auto snapshot = a.engine.take_checkpoint(0);
  Seq b(kNotFollowed, 15 * 60'000'000LL);
  b.clock.set(a.clock.now());
  b.engine.restore_partition(0, snapshot);
  b.send(2, "ops.session_started", "2026-11-02T10:00:00Z");
  CHECK(b.advance("2026-11-02T12:00:00Z").empty());
}

// --- absence and the order of arrival ------------------------------------------------------------

namespace {
const char* kInactive = R"(rule inactive by learner_id absent xapi.statement for 1h then notify(learner_id, "nudge", [email]))";
const char* kNotRebooked = R"(rule not_rebooked by learner_id absent ops.session_started for 1h after ops.session_completed
  then raise_alert("not_rebooked", "high"))";
}  // namespace

TEST_CASE("absence: an older X arriving late does not move the deadline earlier") {
  Seq s(kInactive, 30 * 60'000'000LL);
  s.send(1, "xapi.statement", "2026-11-02T10:00:00Z");
  s.send(2, "xapi.statement", "2026-11-02T09:50:00Z");  // out of order
  CHECK(s.advance("2026-11-02T11:25:00Z").empty());     // watermark 10:55: 10:50 is not the deadline
  auto fired = s.advance("2026-11-02T11:31:00Z");       // watermark 11:01
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].fired_at == at("2026-11-02T11:00:00Z"));
  CHECK(fired[0].event_ids == std::vector<std::string>{uuid(1)});
}

TEST_CASE("absence after Y: an X from before Y does not end the wait; a late X after Y does") {
  Seq s(kNotRebooked, 30 * 60'000'000LL);
  s.send(1, "ops.session_completed", "2026-11-02T10:00:00Z");
  s.send(2, "ops.session_started", "2026-11-02T09:55:00Z");  // arrived after Y, happened before it
  auto fired = s.advance("2026-11-02T11:31:00Z");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].event_ids == std::vector<std::string>{uuid(1)});

  Seq late(kNotRebooked, 0);
  late.send(1, "ops.session_completed", "2026-11-02T10:00:00Z");
  late.send(2, "xapi.statement", "2026-11-02T10:30:00Z");     // watermark 10:30
  late.send(3, "ops.session_started", "2026-11-02T10:20:00Z");  // late, but after Y and in time
  CHECK(late.advance("2026-11-02T12:00:00Z").empty());
}

TEST_CASE("absence: a late X restarts the silence when its timer has not fired") {
  Seq s(kInactive, 0);
  s.send(1, "xapi.statement", "2026-11-02T10:00:00Z");
  s.send(2, "quiz.submitted", "2026-11-02T10:40:00Z");  // watermark 10:40
  s.send(3, "xapi.statement", "2026-11-02T10:30:00Z");  // late
  CHECK(s.advance("2026-11-02T11:10:00Z").empty());      // 11:00 was the old deadline
  auto fired = s.advance("2026-11-02T11:30:00Z");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].fired_at == at("2026-11-02T11:30:00Z"));
  CHECK(fired[0].event_ids == std::vector<std::string>{uuid(3)});
}
