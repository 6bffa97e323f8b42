// The built-in rule pack compiles, and each rule fires on the traffic it is meant for.
#include <catch2/catch.hpp>

#include "domain/engine.h"
#include "domain/packs.h"
#include "edfleet/core/time_format.h"

#include <fstream>

using namespace edfleet;
using namespace edfleet::rules;

namespace {
core::Timestamp at(const std::string& text) { return *core::parse_rfc3339(text); }

struct PackRun {
  core::ManualClock clock{at("2026-11-01T00:00:00Z")};
  Engine engine{EngineOptions{0, 10000, 1, {}, {}}, clock};
  std::vector<Action> actions;
  int next = 1;
  PackRun() {
    auto compiled = compile_text(*pack_text("learning"), "acme", 1, [](std::string_view) { return true; });
    INFO((compiled.errors.empty() ? std::string() : format_diagnostic(compiled.errors[0])));
    REQUIRE(compiled.ok());
    engine.set_rules(std::make_shared<RuleSet>(compiled.rules));
  }
  void send(const std::string& type, const std::string& learner, const std::string& time,
            std::vector<std::pair<std::string, Value>> fields = {}) {
    Event e;
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", next++);
    e.id = id;
    e.tenant = "acme";
    e.type = type;
    e.occurred_at = at(time);
    e.set_subject(learner, "", "", "", "test");
    for (auto& [k, v] : fields) e.set(k, std::move(v));
    if (clock.now() < e.occurred_at) clock.set(e.occurred_at);
    engine.process(0, e, actions);
  }
  void advance(const std::string& time) {
    clock.set(at(time));
    engine.advance_to_clock(0, actions);
  }
  std::vector<std::string> fired(const std::string& rule) const {
    std::vector<std::string> keys;
    for (const auto& a : actions) {
      if (a.rule_id == rule) keys.push_back(a.key.empty() ? a.target : a.key);
    }
    return keys;
  }
};
}  // namespace

TEST_CASE("the learning pack compiles and lists its rules") {
  CHECK(pack_names() == std::vector<std::string>{"learning"});
  auto compiled = compile_text(*pack_text("learning"), "acme", 1, [](std::string_view) { return true; });
  REQUIRE(compiled.ok());
  CHECK(compiled.rules.size() == 9);
  CHECK_FALSE(pack_text("nope"));
}

TEST_CASE("the learning pack on simulated traffic") {
  PackRun run;
  // Streak: l1 active 5 days in a row; l2 skips a day.
  for (int d = 2; d <= 6; ++d) run.send("xapi.statement", "l1", "2026-11-0" + std::to_string(d) + "T10:00:00Z");
  for (int d : {2, 3, 5, 6}) run.send("xapi.statement", "l2", "2026-11-0" + std::to_string(d) + "T10:00:00Z");
  CHECK(run.fired("five_day_streak") == std::vector<std::string>{"l1", "l1"});  // badge + notification
  // Completion.
  run.send("xapi.statement", "l3", "2026-11-06T11:00:00Z",
           {{"statement.verb.id", Value::of("http://adlnet.gov/expapi/verbs/completed")},
            {"statement.result.score.scaled", Value::of(0.8)},
            {"statement.object.id", Value::of("https://lms.example/course/algebra-1")}});
  CHECK(run.fired("course_completion_badge").size() == 2);
  // Churn: two calls in 14 days while velocity declines.
  run.send("ops.customer_health_update", "c1", "2026-11-06T12:00:00Z", {{"session_velocity", Value::of(3.0)}});
  run.send("ops.customer_health_update", "c1", "2026-11-07T12:00:00Z", {{"session_velocity", Value::of(2.0)}});
  run.send("ops.ib_call_logged", "c1", "2026-11-07T13:00:00Z", {{"call_id", Value::of("k1")}});
  CHECK(run.fired("churn_signal").empty());
  run.send("ops.ib_call_logged", "c1", "2026-11-08T13:00:00Z", {{"call_id", Value::of("k2")}});
  CHECK(run.fired("churn_signal").size() == 3);
  // Spike: a third call the same day.
  run.send("ops.ib_call_logged", "c1", "2026-11-08T14:00:00Z");
  run.send("ops.ib_call_logged", "c1", "2026-11-08T15:00:00Z");
  CHECK(run.fired("support_call_spike").size() == 2);
  // Supply gap (market-wide): once per subject per hour.
  for (const char* t : {"2026-11-08T16:00:00Z", "2026-11-08T16:10:00Z"}) {
    run.send("ops.supply_demand_update", "", t,
             {{"subject_area", Value::of("algebra")}, {"open_requests", Value::of(9.0)}, {"available_tutors", Value::of(2.0)}});
  }
  CHECK(run.fired("tutor_supply_gap").size() == 2);
  // First session failed and not rebooked within the hour.
  run.send("ops.session_completed", "l4", "2026-11-08T17:00:00Z",
           {{"outcome", Value::of("failed")}, {"first_session", Value::of(true)}, {"subject_area", Value::of("algebra")}});
  CHECK(run.fired("first_session_follow_up").size() == 2);
  // Quiz mastery: three passed quizzes at >= 90%.
  for (const char* t : {"2026-11-08T18:00:00Z", "2026-11-08T18:10:00Z", "2026-11-08T18:20:00Z"}) {
    run.send("quiz.submitted", "l5", t, {{"score", Value::of(9.5)}, {"max_score", Value::of(10.0)}, {"passed", Value::of(true)}});
  }
  CHECK(run.fired("quiz_mastery").size() == 2);
  run.advance("2026-11-08T18:30:00Z");
  CHECK(run.fired("first_session_not_rebooked") == std::vector<std::string>{"l4"});
  // Inactivity: a week after their last statement, l1, l2 and l3 get nudged.
  run.advance("2026-11-14T00:00:00Z");
  CHECK(run.fired("inactivity_nudge") == std::vector<std::string>{"l1", "l2", "l3"});
}

TEST_CASE("every rule example in the README compiles") {
  std::ifstream in(RULES_README);
  REQUIRE(in);
  std::string line, block;
  bool inside = false;
  int blocks = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("```")) {
      if (inside && block.starts_with("rule ")) {
        auto compiled = compile_text(block, "acme", 1, [](std::string_view z) { return z == "Europe/Paris"; });
        INFO(block);
        INFO((compiled.errors.empty() ? std::string() : format_diagnostic(compiled.errors[0])));
        CHECK(compiled.ok());
        ++blocks;
      }
      inside = !inside;
      block.clear();
      continue;
    }
    if (inside) block += line + "\n";
  }
  CHECK(blocks >= 7);
}
