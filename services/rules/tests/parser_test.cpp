// The rule language's grammar: every construct parses into the expected tree, and every syntax
// error says where and what in words.
#include <catch2/catch.hpp>

#include "domain/parser.h"

using namespace edfleet::rules;

namespace {
RuleAst one(const std::string& text) {
  auto r = parse_rules(text);
  INFO((r.errors.empty() ? std::string() : format_diagnostic(r.errors[0])));
  REQUIRE(r.ok());
  REQUIRE(r.rules.size() == 1);
  return r.rules[0];
}

Diagnostic error_of(const std::string& text) {
  auto r = parse_rules(text);
  REQUIRE_FALSE(r.ok());
  return r.errors.at(0);
}
}  // namespace

TEST_CASE("a rule with an event filter and one action") {
  auto r = one(R"(rule quiz_ace "Quiz ace"
  on quiz.submitted where score >= 9 and quiz_id in ("q1", "q2") and statement_missing exists
  then award_badge("quiz_ace"))");
  CHECK(r.id == "quiz_ace");
  CHECK(r.title == "Quiz ace");
  REQUIRE(r.on.size() == 1);
  CHECK(r.on[0].type == "quiz.submitted");
  REQUIRE(r.on[0].where);
  CHECK(render(*r.on[0].where) == "score >= 9 and quiz_id in (\"q1\", \"q2\") and statement_missing exists");
  REQUIRE(r.actions.size() == 1);
  CHECK(r.actions[0].name == "award_badge");
  CHECK(r.actions[0].args.at(0).expr.text == "quiz_ace");
}

TEST_CASE("expressions: arithmetic precedence, not, or, regex, not in, negative numbers, booleans") {
  auto r = one(R"(rule x on quiz.submitted
    where not (score / max_score * 100 < 80 or passed == false) and attempt_id matches "^a-[0-9]+$"
      and quiz_id not in ("q9") and score > -1 and passed
    then award_badge("b"))");
  const auto& w = *r.on[0].where;
  CHECK(render(w) == "not (score / max_score * 100 < 80 or passed == false) and attempt_id matches \"^a-[0-9]+$\" "
                     "and quiz_id not in (\"q9\") and score > -1 and passed");
  // and binds tighter than or; * / tighter than + -
  auto r2 = one("rule y on quiz.submitted where a or b and c then award_badge(\"b\")");
  CHECK(r2.on[0].where->op == Op::kOr);
  auto r3 = one("rule y on quiz.submitted where a + b * c > 1 then award_badge(\"b\")");
  const auto& sum = r3.on[0].where->children[0];
  CHECK(sum.op == Op::kAdd);
  CHECK(sum.children[1].op == Op::kMul);
}

TEST_CASE("xAPI nested paths and comments") {
  auto r = one(R"(# completions
rule completed   # trailing comment
  on xapi.statement where statement.verb.id == "http://adlnet.gov/expapi/verbs/completed"
     and statement.result.score.scaled >= 0.8 and statement.object.id exists
  then notify(learner_id, "course_completed", [email, in_app], {course: statement.object.id}))");
  CHECK(render(*r.on[0].where).find("statement.result.score.scaled >= 0.8") != std::string::npos);
  const auto& notify = r.actions.at(0);
  CHECK(notify.args.size() == 4);
  CHECK(notify.args[2].list == std::vector<std::string>{"email", "in_app"});
  CHECK(notify.args[3].map.at(0).first == "course");
}

TEST_CASE("aggregates over sliding and tumbling windows, grouped, with a threshold") {
  auto r = one(R"(rule churn
  by learner_id
  let calls = count(ops.ib_call_logged) over sliding 14d
  let velocity = trend(ops.customer_health_update, session_velocity) over 28d
  let total = sum(quiz.submitted where passed, score) over tumbling 1d
  let worst = min(quiz.submitted, score) over 1w
  let best = max(quiz.submitted, score) over 1h30m
  let mean = avg(quiz.submitted, score) over 90m
  let days = distinct(xapi.statement, statement.verb.id) over 5d
  on ops.ib_call_logged, ops.customer_health_update
  when calls >= 2 and velocity < 0
  cooldown 14d
  then raise_alert("churn_risk", "high"))");
  CHECK(r.by == "learner_id");
  REQUIRE(r.lets.size() == 7);
  CHECK(r.lets[0].fn == AggFn::kCount);
  CHECK(r.lets[0].window == WindowKind::kSliding);
  CHECK(r.lets[0].window_us == 14LL * 86'400'000'000);
  CHECK(r.lets[1].fn == AggFn::kTrend);
  CHECK(r.lets[1].value_path == "session_velocity");
  CHECK(r.lets[2].window == WindowKind::kTumbling);
  CHECK(r.lets[2].pattern.where);
  CHECK(r.lets[4].window_us == 90LL * 60'000'000);
  CHECK(r.lets[6].fn == AggFn::kDistinct);
  CHECK(r.on.size() == 2);
  CHECK(r.cooldown_us == 14LL * 86'400'000'000);
}

TEST_CASE("absence, with and without a starting event") {
  auto r = one(R"(rule inactive
  absent xapi.statement for 7d
  absent ops.session_started for 1h after ops.session_completed where outcome == "failed"
  then notify(learner_id, "nudge", [email]))");
  REQUIRE(r.absences.size() == 2);
  CHECK(r.absences[0].missing.type == "xapi.statement");
  CHECK_FALSE(r.absences[0].after);
  CHECK(r.absences[1].within_us == 3'600'000'000);
  CHECK(r.absences[1].after->type == "ops.session_completed");
}

TEST_CASE("sequences: then, and not followed by") {
  auto r = one(R"(rule seqs
  sequence session.scheduled then session.started within 15m
  sequence ops.session_started not followed by ops.session_completed within 2h
  then raise_alert("x", "low"))");
  REQUIRE(r.sequences.size() == 2);
  CHECK_FALSE(r.sequences[0].not_followed);
  CHECK(r.sequences[0].second.type == "session.started");
  CHECK(r.sequences[1].not_followed);
  CHECK(r.sequences[1].within_us == 2 * 3'600'000'000LL);
}

TEST_CASE("schedules in a time zone, once per key, emit and webhook") {
  auto r = one(R"(rule weekly every monday at 09:00 in "Europe/Paris"
  once per learner_id per 7d
  then emit("learner.weekly", {learner: learner_id, n: 1}), webhook("https://hooks.example/x"), request_insight("weekly_summary"))");
  REQUIRE(r.every);
  CHECK(r.every->kind == Schedule::Kind::kWeekly);
  CHECK(r.every->weekday == 0);
  CHECK(r.every->hour == 9);
  CHECK(r.every->time_zone == "Europe/Paris");
  REQUIRE(r.once);
  CHECK(r.once->path == "learner_id");
  CHECK(r.once->per_us == 7 * 86'400'000'000LL);
  CHECK(r.actions.size() == 3);
  auto d = one("rule d every day at 18:30 then request_insight(\"digest\")");
  CHECK(d.every->kind == Schedule::Kind::kDaily);
  CHECK(d.every->minute == 30);
  auto h = one("rule h every hour then request_insight(\"digest\")");
  CHECK(h.every->kind == Schedule::Kind::kHourly);
}

TEST_CASE("several rules in one text, each with its own source") {
  auto r = parse_rules("rule a on quiz.submitted then award_badge(\"a\")\n\nrule b on quiz.submitted then award_badge(\"b\")\n");
  REQUIRE(r.ok());
  REQUIRE(r.rules.size() == 2);
  CHECK(r.rules[0].source == "rule a on quiz.submitted then award_badge(\"a\")");
  CHECK(r.rules[1].pos.line == 3);
}

TEST_CASE("payload.sequence reaches a field whose name is a keyword") {
  auto r = one("rule s on session.chat_message where payload.sequence > 3 then award_badge(\"x\")");
  CHECK(render(*r.on[0].where) == "payload.sequence > 3");
}

TEST_CASE("syntax errors say where and what, in words") {
  SECTION("empty text") {
    auto d = error_of("   \n");
    CHECK(d.message == "the text is empty: a rule starts with `rule <id>`");
  }
  SECTION("not a rule") {
    auto d = error_of("when x > 1");
    CHECK(d.line == 1);
    CHECK(d.column == 1);
    CHECK(d.message.find("expected `rule`") != std::string::npos);
  }
  SECTION("missing then") {
    auto d = error_of("rule a\n  on quiz.submitted\n  award_badge(\"x\")");
    CHECK(d.line == 3);
    CHECK(d.column == 3);
    CHECK(d.message.find("`then` followed by the actions") != std::string::npos);
    CHECK(d.message.find("\"award_badge(\"x\")\"") != std::string::npos);
  }
  SECTION("single equals") {
    auto d = error_of("rule a on quiz.submitted where score = 3 then award_badge(\"x\")");
    CHECK(d.column == 38);
    CHECK(d.message == "found a single \"=\"; to compare, write \"==\"");
  }
  SECTION("single quotes") {
    auto d = error_of("rule a on quiz.submitted where quiz_id == 'q1' then award_badge(\"x\")");
    CHECK(d.message == "text must be in double quotes (\"...\"), not single quotes");
  }
  SECTION("bad duration") {
    auto d = error_of("rule a absent xapi.statement for 7 days then award_badge(\"x\")");
    CHECK(d.message.find("a duration such as 30m, 1h, 7d or 2w") != std::string::npos);
  }
  SECTION("zero duration") {
    auto d = error_of("rule a absent xapi.statement for 0d then award_badge(\"x\")");
    CHECK(d.message == "a duration must be longer than zero");
  }
  SECTION("time of day") {
    auto d = error_of("rule a every day at 25:00 then award_badge(\"x\")");
    CHECK(d.message == "the time 25:00 is not a time of day (00:00 to 23:59)");
    auto e = error_of("rule a every day 09:00 then award_badge(\"x\")");
    CHECK(e.message.find("`at` and a time of day") != std::string::npos);
  }
  SECTION("missing window") {
    auto d = error_of("rule a let c = count(quiz.submitted) when c > 1 then award_badge(\"x\")");
    CHECK(d.message.find("`over` and a window") != std::string::npos);
  }
  SECTION("unknown aggregate") {
    auto d = error_of("rule a let c = total(quiz.submitted) over 1d when c > 1 then award_badge(\"x\")");
    CHECK(d.message.find("an aggregate: count, sum, avg, min, max, distinct or trend") != std::string::npos);
  }
  SECTION("event type without a dot") {
    auto d = error_of("rule a on quiz then award_badge(\"x\")");
    CHECK(d.message.find("an event type such as quiz.submitted") != std::string::npos);
  }
  SECTION("two when clauses") {
    auto d = error_of("rule a on quiz.submitted when score > 1 when score < 3 then award_badge(\"x\")");
    CHECK(d.message == "a rule has one `when`; combine conditions with and / or");
  }
  SECTION("unterminated text") {
    auto d = error_of("rule a on quiz.submitted where quiz_id == \"q1 then award_badge(\"x\")");
    CHECK(d.line == 1);
    CHECK_FALSE(d.message.empty());
  }
  SECTION("second rule reports its own line") {
    auto d = error_of("rule a on quiz.submitted then award_badge(\"x\")\nrule b on quiz.submitted then\n");
    CHECK(d.line == 3);
  }
}
