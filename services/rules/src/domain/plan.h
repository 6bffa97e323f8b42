// The evaluation plan: a rule after type checking, with field paths resolved to field ids,
// aggregates to slots and regular expressions compiled, so no text is interpreted per event.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ast.h"
#include "domain/event.h"
#include "domain/schema.h"

namespace edfleet::rules {

// A compiled expression node.
struct CExpr {
  enum class Kind { kConst, kField, kAgg, kNeg, kNot, kArith, kCompare, kAnd, kOr, kIn, kMatches, kExists };
  Kind kind = Kind::kConst;
  Op op = Op::kAdd;
  Value constant;
  FieldId field = 0;
  ValueKind field_kind = ValueKind::kAny;  // kField: proto3 default when absent (kAny: null)
  int agg = -1;
  bool negated = false;
  std::vector<CExpr> kids;
  std::vector<Value> set;                  // kIn
  std::shared_ptr<const std::regex> regex; // kMatches
};

struct CPattern {
  std::string type;
  std::optional<CExpr> where;
  std::string text;  // rendered, for evidence
};

struct CAggregate {
  std::string name;
  AggFn fn = AggFn::kCount;
  CPattern pattern;
  FieldId value = 0;
  bool has_value = false;
  bool value_is_text = false;     // distinct over text: hashed
  WindowKind window = WindowKind::kSliding;
  std::int64_t window_us = 0;
  std::string text;               // "count(ops.ib_call_logged) over sliding 14d"
};

struct CAbsence {
  CPattern missing;
  std::int64_t within_us = 0;
  std::optional<CPattern> after;
};

struct CSequence {
  CPattern first;
  CPattern second;
  bool not_followed = false;
  std::int64_t within_us = 0;
};

struct CSchedule {
  Schedule::Kind kind = Schedule::Kind::kDaily;
  int weekday = 0;
  int hour = 0;
  int minute = 0;
  std::string time_zone;  // empty: the tenant's
};

enum class ActionKind { kNotify, kAwardBadge, kRaiseAlert, kRequestInsight, kEmit, kWebhook };

struct CAction {
  ActionKind kind = ActionKind::kNotify;
  std::vector<CExpr> args;                               // positional scalar arguments
  std::vector<std::string> channels;                     // notify
  std::vector<std::pair<std::string, CExpr>> fields;     // notify variables, emit/webhook body
};

struct CompiledRule {
  std::string tenant;
  std::string id;
  std::uint32_t version = 1;
  std::string title;
  std::string source;
  std::vector<CPattern> on;
  std::string by;                // canonical group key path; "" = the whole tenant
  FieldId by_field = 0;
  // Keeps state by a field that some of its events are not partitioned by (e.g. per course over
  // learner-keyed events): evaluated in the repartitioned stage, where every event of one group
  // value arrives in one partition (README "Repartitioning").
  bool repartitioned = false;
  std::vector<CAggregate> aggs;
  std::optional<CExpr> when;
  std::string when_text;
  std::vector<CAbsence> absences;
  std::vector<CSequence> sequences;
  std::optional<CSchedule> every;
  std::string once_path;         // "" = no once
  FieldId once_field = 0;
  std::int64_t once_per_us = 0;
  std::int64_t cooldown_us = 0;
  std::vector<CAction> actions;
  // Every event type the rule reads (dispatch index).
  std::vector<std::string> types;
  // "tenant/id@version": the state namespace of this version.
  std::string uid() const { return tenant + "/" + id + "@" + std::to_string(version); }
};

// Calls fn(const CPattern&) for every event pattern of the compiled rule.
template <typename Fn>
void for_each_pattern(const CompiledRule& r, Fn&& fn) {
  for (const auto& p : r.on) fn(p);
  for (const auto& a : r.aggs) fn(a.pattern);
  for (const auto& a : r.absences) {
    fn(a.missing);
    if (a.after) fn(*a.after);
  }
  for (const auto& s : r.sequences) {
    fn(s.first);
    fn(s.second);
  }
}

// Which rules an engine runs: all of them (tests, benchmarks), the ones whose events are partitioned
// by their group key (the events stage), or the repartitioned ones (the repartitioned stage).
enum class RuleStage { kAll, kPartitioned, kRepartitioned };

inline bool in_stage(const CompiledRule& rule, RuleStage stage) {
  return stage == RuleStage::kAll || rule.repartitioned == (stage == RuleStage::kRepartitioned);
}

// Whether a time zone name is known (e.g. "Europe/Paris"); injected so the checker stays pure.
using TimeZoneCheck = std::function<bool(std::string_view)>;

struct CompileResult {
  std::vector<std::shared_ptr<const CompiledRule>> rules;
  std::vector<Diagnostic> errors;
  bool ok() const { return errors.empty(); }
};

// Type-checks and compiles a syntax tree. All problems found are reported (not just the first).
CompileResult compile_rule(const RuleAst& rule, const std::string& tenant, std::uint32_t version,
                           const TimeZoneCheck& known_zone);

// Parse + compile a whole text (one or more rules). Diagnostics sorted by position.
CompileResult compile_text(std::string_view text, const std::string& tenant, std::uint32_t version,
                           const TimeZoneCheck& known_zone);

}  // namespace edfleet::rules
