// The rule language's syntax tree: what the parser produces from rule text and the checker/compiler
// turn into an evaluation plan. Every node keeps its position so errors can say line:column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace edfleet::rules {

struct Pos {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// A problem found in rule text, for people: "line 3, column 7: ...".
struct Diagnostic {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;
};

std::string format_diagnostic(const Diagnostic& d);

enum class Op { kAdd, kSub, kMul, kDiv, kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr };

// An expression: literals, field paths / aggregate names, arithmetic, comparisons, boolean logic,
// `x in (..)`, `x not in (..)`, `x matches "re"`, `x exists`.
struct Expr {
  enum class Kind { kNumber, kString, kBool, kPath, kNeg, kNot, kBinary, kIn, kMatches, kExists };
  Kind kind = Kind::kNumber;
  Pos pos;
  double number = 0;
  bool boolean = false;
  bool negated = false;   // kIn: `not in`
  Op op = Op::kAdd;
  std::string text;       // kString value, kPath path, kMatches pattern
  std::vector<Expr> children;
};

// `quiz.submitted where score >= 8`
struct Pattern {
  Pos pos;
  std::string type;
  std::optional<Expr> where;
};

enum class AggFn { kCount, kSum, kAvg, kMin, kMax, kDistinct, kTrend };
enum class WindowKind { kSliding, kTumbling };

// `let calls = count(ops.ib_call_logged) over sliding 14d`
struct Aggregate {
  Pos pos;
  std::string name;
  AggFn fn = AggFn::kCount;
  Pattern pattern;
  std::string value_path;  // empty for count
  Pos value_pos;
  WindowKind window = WindowKind::kSliding;
  std::int64_t window_us = 0;
};

// `absent xapi.statement for 7d [after ops.session_completed]`
struct Absence {
  Pos pos;
  Pattern missing;
  std::int64_t within_us = 0;
  std::optional<Pattern> after;
};

// `sequence A then B within 1h` / `sequence A not followed by B within 1h`
struct Sequence {
  Pos pos;
  Pattern first;
  Pattern second;
  bool not_followed = false;
  std::int64_t within_us = 0;
};

// `every monday at 09:00 in "Europe/Paris"`, `every day at 18:00`, `every hour`
struct Schedule {
  enum class Kind { kHourly, kDaily, kWeekly };
  Pos pos;
  Kind kind = Kind::kDaily;
  int weekday = 0;  // 0 = Monday
  int hour = 0;
  int minute = 0;
  std::string time_zone;  // empty: the tenant's
  Pos time_zone_pos;
};

// `once per learner_id [per 1d]`
struct Once {
  Pos pos;
  std::string path;
  std::int64_t per_us = 0;  // 0 = ever
};

struct ActionArg {
  enum class Kind { kExpr, kList, kMap };
  Pos pos;
  Kind kind = Kind::kExpr;
  Expr expr;
  std::vector<std::string> list;
  std::vector<std::pair<std::string, Expr>> map;
};

struct ActionCall {
  Pos pos;
  std::string name;
  std::vector<ActionArg> args;
};

struct RuleAst {
  Pos pos;
  std::string id;
  std::string title;
  std::vector<Pattern> on;
  std::string by;
  Pos by_pos;
  std::vector<Aggregate> lets;
  std::optional<Expr> when;
  std::vector<Absence> absences;
  std::vector<Sequence> sequences;
  std::optional<Schedule> every;
  std::optional<Once> once;
  std::int64_t cooldown_us = 0;
  std::vector<ActionCall> actions;
  std::string source;  // this rule's own text
};

// Calls fn(const Pattern&) for every event pattern of the rule (on, let, absent, sequence).
template <typename Fn>
void for_each_pattern(const RuleAst& r, Fn&& fn) {
  for (const auto& p : r.on) fn(p);
  for (const auto& a : r.lets) fn(a.pattern);
  for (const auto& a : r.absences) {
    fn(a.missing);
    if (a.after) fn(*a.after);
  }
  for (const auto& s : r.sequences) {
    fn(s.first);
    fn(s.second);
  }
}

// Renders an expression back to rule text (for evidence explanations).
std::string render(const Expr& e);
std::string render_duration(std::int64_t us);

}  // namespace edfleet::rules
