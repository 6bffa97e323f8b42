// The checker: every type error is caught with a sentence a non-programmer understands, and valid
// rules compile into plans.
#include <catch2/catch.hpp>

#include "domain/plan.h"

using namespace edfleet::rules;

namespace {
const TimeZoneCheck kZones = [](std::string_view z) { return z == "Europe/Paris" || z == "UTC"; };

std::vector<Diagnostic> errors(const std::string& text) {
  auto r = compile_text(text, "acme", 1, kZones);
  return r.errors;
}

std::string first_error(const std::string& text) {
  auto e = errors(text);
  REQUIRE_FALSE(e.empty());
  return e[0].message;
}

void compiles(const std::string& text) {
  auto r = compile_text(text, "acme", 1, kZones);
  INFO((r.errors.empty() ? std::string() : format_diagnostic(r.errors[0])));
  REQUIRE(r.ok());
}
}  // namespace

TEST_CASE("valid rules compile, with a default group key") {
  auto r = compile_text(R"(rule churn
  let calls = count(ops.ib_call_logged) over sliding 14d
  let velocity = trend(ops.customer_health_update, session_velocity) over 28d
  on ops.ib_call_logged, ops.customer_health_update
  when calls >= 2 and velocity < 0
  cooldown 14d
  then raise_alert("churn_risk", "high"))", "acme", 3, kZones);
  REQUIRE(r.ok());
  const auto& rule = *r.rules.at(0);
  CHECK(rule.by == "learner_id");
  CHECK(rule.version == 3);
  CHECK(rule.uid() == "acme/churn@3");
  CHECK(rule.types == std::vector<std::string>{"ops.customer_health_update", "ops.ib_call_logged"});
  CHECK(rule.aggs[0].text == "count(ops.ib_call_logged) over sliding 2w");
  compiles("rule s on ops.supply_demand_update where available_tutors < open_requests once per subject_area per 1h "
           "then raise_alert(\"tutor_supply_gap\", \"medium\")");
  compiles("rule w every monday at 09:00 in \"Europe/Paris\" then request_insight(\"weekly\")");
}

TEST_CASE("unknown event types and fields get suggestions") {
  CHECK(first_error("rule a on quiz.submited then award_badge(\"x\")") ==
        "there is no event type \"quiz.submited\"; did you mean \"quiz.submitted\"?");
  CHECK(first_error("rule a on quiz.submitted where scor > 1 then award_badge(\"x\")") ==
        "quiz.submitted events have no field \"scor\"; did you mean \"score\"?");
  CHECK(first_error("rule a on ops.ib_call_logged where zzzzzz == \"x\" then award_badge(\"x\")")
            .starts_with("ops.ib_call_logged events have no field \"zzzzzz\"; their fields are: id, type, source"));
  auto e = errors("rule a on quiz.submitted where scor > 1 then award_badge(\"x\")");
  CHECK(e[0].line == 1);
  CHECK(e[0].column == 32);
}

TEST_CASE("kinds must agree") {
  CHECK(first_error("rule a on quiz.submitted where score > \"high\" then award_badge(\"x\")") ==
        "score is a number, but \"high\" is text: they cannot be compared");
  CHECK(first_error("rule a on quiz.submitted where passed > true then award_badge(\"x\")") ==
        "true/false values can only be compared with == or !=");
  CHECK(first_error("rule a on quiz.submitted where quiz_id + 1 > 2 then award_badge(\"x\")") ==
        "arithmetic needs numbers, but quiz_id is text");
  CHECK(first_error("rule a on quiz.submitted where score then award_badge(\"x\")") ==
        "the condition after `where` must be true or false, but score is a number");
  CHECK(first_error("rule a on quiz.submitted where score and passed then award_badge(\"x\")") ==
        "`and` joins conditions, but score is a number (did you mean score > 0?)");
  CHECK(first_error("rule a on quiz.submitted where score in (\"a\") then award_badge(\"x\")") ==
        "score is a number, but the list holds \"a\", which is text");
  CHECK(first_error("rule a on quiz.submitted where score matches \"x\" then award_badge(\"x\")") ==
        "`matches` works on text, but score is a number");
  CHECK(first_error("rule a on quiz.submitted where quiz_id matches \"[a\" then award_badge(\"x\")")
            .starts_with("\"[a\" is not a valid pattern (regular expression)"));
  CHECK(first_error("rule a on quiz.submitted where not score then award_badge(\"x\")") ==
        "`not` needs something true or false, but score is a number");
  CHECK(first_error("rule a on quiz.submitted where -quiz_id > 1 then award_badge(\"x\")") ==
        "only numbers can be negated, but quiz_id is text");
  CHECK(first_error("rule a on quiz.submitted where (score > 1) exists then award_badge(\"x\")") ==
        "`exists` follows a field name, e.g. statement.result.score.scaled exists");
}

TEST_CASE("aggregates and conditions") {
  CHECK(first_error("rule a on quiz.submitted let n = count(quiz.submitted, score) over 1d when n > 1 then award_badge(\"x\")") ==
        "count counts events and takes no field; to add up score use sum(quiz.submitted, score)");
  CHECK(first_error("rule a on quiz.submitted let n = sum(quiz.submitted) over 1d when n > 1 then award_badge(\"x\")") ==
        "sum needs the field to aggregate, e.g. sum(quiz.submitted, <field>)");
  CHECK(first_error("rule a on quiz.submitted let n = avg(quiz.submitted, quiz_id) over 1d when n > 1 then award_badge(\"x\")") ==
        "avg needs a number, but quiz_id is text");
  CHECK(first_error("rule a on quiz.submitted let n = count(quiz.submitted) over 1d let n = count(quiz.submitted) over 2d when n > 1 "
                    "then award_badge(\"x\")") == "\"n\" is defined twice; give each `let` its own name");
  CHECK(first_error("rule a let n = count(quiz.submitted) over 1d on quiz.submitted then award_badge(\"x\")") ==
        "the aggregate n is computed but never used: add a `when` condition such as `when n >= 3`");
  CHECK(first_error("rule a let n = count(quiz.submitted) over 1d on quiz.submitted when n then award_badge(\"x\")") ==
        "the `when` condition must be true or false, but n is a number (did you mean n > 0?)");
  CHECK(first_error("rule a absent quiz.submitted for 1d when m > 1 then award_badge(\"x\")") ==
        "\"m\" is not an aggregate defined with `let`, and this rule has no `on` events whose fields it could be");
}

TEST_CASE("triggers, keys and partitions") {
  CHECK(first_error("rule a then award_badge(\"x\")") ==
        "rule a never fires: give it a trigger (on, absent, sequence or every)");
  CHECK(first_error("rule Bad on quiz.submitted then award_badge(\"x\")").starts_with("the rule id \"Bad\" must start"));
  CHECK(first_error("rule a by id let n = count(quiz.submitted) over 1d on quiz.submitted when n > 1 "
                    "then award_badge(\"x\")") ==
        "cannot group by id: every event has its own id, so no window, timer or sequence would ever see two events; "
        "group by a subject or payload field (e.g. by course_id)");
  CHECK(first_error("rule a let n = count(ops.supply_demand_update) over 1d on ops.supply_demand_update when n > 1 "
                    "then award_badge(\"x\")") == "rule a keeps state per key, so it needs `by <field>` (e.g. by learner_id)");
  CHECK(first_error("rule a by subject_area absent xapi.statement for 1h then award_badge(\"x\")") ==
        "xapi.statement events have no field \"subject_area\" to group by");
  CHECK(first_error("rule a by passed on quiz.submitted cooldown 1h then award_badge(\"x\")") ==
        "cannot group by passed: it is only true or false");
  CHECK(first_error("rule a absent quiz.submitted for 1d once per course_id then award_badge(\"x\")") ==
        "`once per course_id` needs course_id to be the rule's `by` key, because this rule fires on a timer");
  CHECK(first_error("rule a every day at 09:00 in \"Mars/Olympus\" then award_badge(\"x\")") ==
        "\"Mars/Olympus\" is not a time zone; use a name such as \"Europe/Paris\" or \"UTC\"");
  CHECK(first_error("rule a on quiz.submitted then award_badge(\"x\")\nrule a on quiz.submitted then award_badge(\"y\")") ==
        "the rule id a is used twice in this text");
}

TEST_CASE("actions are checked") {
  CHECK(first_error("rule a on quiz.submitted then frobnicate(\"x\")") ==
        "there is no action \"frobnicate\"; actions are notify, award_badge, raise_alert, request_insight, emit, webhook");
  CHECK(first_error("rule a on quiz.submitted then award(\"x\")") == "there is no action \"award\"; did you mean \"award_badge\"?");
  CHECK(first_error("rule a on quiz.submitted then notfy(learner_id, \"t\", [email])") ==
        "there is no action \"notfy\"; did you mean \"notify\"?");
  CHECK(first_error("rule a on quiz.submitted then notify(learner_id)") ==
        "notify takes 3 or 4 arguments: notify(recipient, \"template\", [email, in_app], {name: value})");
  CHECK(first_error("rule a on quiz.submitted then notify(learner_id, \"t\", \"email\")") ==
        "argument 3 of notify should be a list in [ ]: notify(recipient, \"template\", [email, in_app], {name: value})");
  CHECK(first_error("rule a on quiz.submitted then notify(learner_id, \"t\", [sms])") ==
        "\"sms\" is not a channel; channels are email, webhook, in_app, push");
  CHECK(first_error("rule a on quiz.submitted then raise_alert(\"k\", \"urgent\")") ==
        "\"urgent\" is not a severity; use one of info, low, medium, high, critical");
  CHECK(first_error("rule a on quiz.submitted then webhook(\"ftp://x\")") ==
        "the webhook address must start with https:// (or http://)");
  CHECK(first_error("rule a on quiz.submitted then emit(\"x.y\", {a: nope})").starts_with("quiz.submitted events have no field \"nope\""));
}

TEST_CASE("several errors are reported at once, in order") {
  auto e = errors("rule a on quiz.submitted where scor > 1 then award(\"x\")");
  REQUIRE(e.size() == 2);
  CHECK(e[0].column < e[1].column);
}

namespace {
bool repartitioned(const std::string& text) {
  auto r = compile_text(text, "acme", 1, kZones);
  INFO((r.errors.empty() ? std::string() : format_diagnostic(r.errors[0])));
  REQUIRE(r.ok());
  return r.rules.at(0)->repartitioned;
}
}  // namespace

TEST_CASE("grouping by a field the events are not partitioned by plans a repartitioned rule") {
  // Per course / per tutor over learner-keyed events, per subject area over events keyed by event id.
  CHECK(repartitioned("rule a by course_id let n = count(quiz.submitted) over 1d on quiz.submitted when n > 1 "
                      "then award_badge(\"x\")"));
  CHECK(repartitioned("rule a by tutor_id let r = avg(ops.session_completed, rating) over 7d "
                      "on ops.session_completed when r < 3 then raise_alert(\"tutor_rating\", \"low\")"));
  CHECK(repartitioned("rule a by subject_area let open = sum(ops.supply_demand_update, open_requests) over 1h "
                      "on ops.supply_demand_update when open > 10 then raise_alert(\"demand\", \"low\")"));
  CHECK(repartitioned("rule a by tutor_id sequence ops.session_started not followed by ops.session_completed "
                      "within 2h then raise_alert(\"x\", \"low\")"));
  // A mix: one type is partitioned by the key, the other is not.
  CHECK(repartitioned("rule a by tutor_id let s = count(ops.session_started) over 1d "
                      "let t = sum(ops.tutor_availability_updated, available_slots) over 1d "
                      "on ops.session_started when s > t then raise_alert(\"x\", \"low\")"));
  // Partitioned by the key, or stateless: the events stage runs it.
  CHECK_FALSE(repartitioned("rule a by learner_id let n = count(quiz.submitted) over 1d on quiz.submitted "
                            "when n > 1 then award_badge(\"x\")"));
  CHECK_FALSE(repartitioned("rule a by tutor_id let n = count(ops.tutor_availability_updated) over 1d "
                            "on ops.tutor_availability_updated when n > 1 then award_badge(\"x\")"));
  CHECK_FALSE(repartitioned("rule a on ops.supply_demand_update where available_tutors < open_requests "
                            "once per subject_area per 1h then raise_alert(\"gap\", \"medium\")"));
  // Still refused: a field some event type lacks, a flag, the event id.
  CHECK(first_error("rule a by subject_area let n = count(xapi.statement) over 1d on xapi.statement when n > 1 "
                    "then award_badge(\"x\")") == "xapi.statement events have no field \"subject_area\" to group by");
}
