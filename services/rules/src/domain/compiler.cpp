#include <algorithm>
#include <set>

#include "domain/parser.h"
#include "domain/plan.h"

namespace edfleet::rules {

namespace {

std::vector<std::string> type_names() {
  std::vector<std::string> names;
  for (const auto& t : event_types()) names.emplace_back(t.type);
  return names;
}

std::vector<std::string> field_names(const EventTypeSpec& t) {
  std::vector<std::string> names;
  for (const auto& f : envelope_fields()) names.emplace_back(f.name);
  for (const auto& f : t.fields) names.emplace_back(f.name);
  return names;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

class Compiler {
 public:
  Compiler(const RuleAst& ast, const std::string& tenant, std::uint32_t version, const TimeZoneCheck& zones)
      : ast_(ast), zones_(zones) {
    rule_.tenant = tenant;
    rule_.id = ast.id;
    rule_.version = version;
    rule_.title = ast.title;
    rule_.source = ast.source;
  }

  CompileResult run() {
    check_id();
    for (const auto& p : ast_.on) rule_.on.push_back(pattern(p));
    for (const auto& a : ast_.lets) aggregate(a);
    for (const auto& a : ast_.absences) {
      CAbsence c;
      c.missing = pattern(a.missing);
      c.within_us = a.within_us;
      if (a.after) c.after = pattern(*a.after);
      rule_.absences.push_back(std::move(c));
    }
    for (const auto& s : ast_.sequences) {
      CSequence c;
      c.first = pattern(s.first);
      c.second = pattern(s.second);
      c.not_followed = s.not_followed;
      c.within_us = s.within_us;
      rule_.sequences.push_back(std::move(c));
    }
    if (ast_.every) schedule(*ast_.every);
    if (ast_.on.empty() && ast_.absences.empty() && ast_.sequences.empty() && !ast_.every) {
      error(ast_.pos, "rule " + ast_.id + " never fires: give it a trigger (on, absent, sequence or every)");
    }
    group_key();
    if (ast_.when) {
      auto c = expr(*ast_.when, Scope::kWhen, nullptr);
      if (c && kind_of(*ast_.when) != ValueKind::kBool && kind_of(*ast_.when) != ValueKind::kAny) {
        error(ast_.when->pos, "the `when` condition must be true or false, but " + render(*ast_.when) + " is " +
                                  kind_name(kind_of(*ast_.when)) + " (did you mean " + render(*ast_.when) +
                                  " > 0?)");
      }
      if (c) rule_.when = std::move(*c);
      rule_.when_text = render(*ast_.when);
    } else if (!ast_.lets.empty() && !ast_.every) {
      error(ast_.lets.front().pos, "the aggregate " + ast_.lets.front().name +
                                      " is computed but never used: add a `when` condition such as `when " +
                                      ast_.lets.front().name + " >= 3`");
    }
    once();
    rule_.cooldown_us = ast_.cooldown_us;
    for (const auto& a : ast_.actions) action(a);
    copartition();
    std::set<std::string> types;
    for_each_pattern(rule_, [&](const CPattern& p) { types.insert(p.type); });
    rule_.types.assign(types.begin(), types.end());

    CompileResult result;
    result.errors = std::move(errors_);
    if (result.errors.empty()) result.rules.push_back(std::make_shared<const CompiledRule>(std::move(rule_)));
    return result;
  }

 private:
  enum class Scope { kPattern, kWhen, kAction };

  void error(Pos pos, std::string message) { errors_.push_back({pos.line, pos.column, std::move(message)}); }

  void check_id() {
    const auto& id = ast_.id;
    bool ok = !id.empty() && id.size() <= 64 && std::islower(static_cast<unsigned char>(id[0]));
    for (char c : id) ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_');
    if (!ok) {
      error(ast_.pos, "the rule id \"" + id + "\" must start with a lower-case letter and use only a-z, 0-9 and _ "
                                              "(at most 64 characters), e.g. five_day_streak");
    }
  }

  const EventTypeSpec* type_of(const std::string& type, Pos pos) {
    const auto* spec = find_event_type(type);
    if (spec == nullptr) {
      std::string hint = closest(type, type_names());
      error(pos, "there is no event type \"" + type + "\"" +
                     (hint.empty() ? "; see the list of event types in the README" : "; did you mean \"" + hint + "\"?"));
    }
    return spec;
  }

  CPattern pattern(const Pattern& p) {
    CPattern c;
    c.type = p.type;
    c.text = p.type + (p.where ? " where " + render(*p.where) : "");
    const auto* spec = type_of(p.type, p.pos);
    if (spec != nullptr && p.where) {
      std::vector<const EventTypeSpec*> scope{spec};
      auto saved = scope_;
      scope_ = scope;
      auto e = expr(*p.where, Scope::kPattern, nullptr);
      if (e && kind_of(*p.where) != ValueKind::kBool && kind_of(*p.where) != ValueKind::kAny) {
        error(p.where->pos, "the condition after `where` must be true or false, but " + render(*p.where) + " is " +
                                kind_name(kind_of(*p.where)));
      }
      if (e) c.where = std::move(*e);
      scope_ = saved;
    }
    return c;
  }

  // Resolves a field path in the current scope (all types must have it). Reports and returns false
  // when it cannot.
  bool resolve_field(const std::string& raw, Pos pos, ValueKind& kind) {
    const std::string path = canonical_path(raw);
    if (scope_.empty()) {
      error(pos, "\"" + raw + "\" is not an aggregate defined with `let`" +
                     (ast_.on.empty() ? ", and this rule has no `on` events whose fields it could be" : ""));
      return false;
    }
    kind = ValueKind::kAny;
    bool first = true;
    for (const auto* t : scope_) {
      const auto* f = find_field(*t, path);
      if (f == nullptr) {
        std::string hint = closest(path, field_names(*t));
        std::string list;
        for (const auto& n : field_names(*t)) list += (list.empty() ? "" : ", ") + n;
        error(pos, std::string(t->type) + " events have no field \"" + raw + "\"" +
                       (hint.empty() ? "; their fields are: " + list +
                                           (t->free_form ? ", statement.<json path>" : "")
                                     : "; did you mean \"" + hint + "\"?"));
        return false;
      }
      if (first) {
        kind = f->kind;
        first = false;
      } else if (kind != f->kind) {
        kind = ValueKind::kAny;
      }
    }
    return true;
  }

  ValueKind kind_of(const Expr& e) const {
    auto it = kinds_.find(&e);
    return it == kinds_.end() ? ValueKind::kAny : it->second;
  }

  std::optional<CExpr> expr(const Expr& e, Scope scope, const void* /*unused*/) {
    CExpr c;
    ValueKind kind = ValueKind::kAny;
    switch (e.kind) {
      case Expr::Kind::kNumber: c.constant = Value::of(e.number); kind = ValueKind::kNumber; break;
      case Expr::Kind::kString: c.constant = Value::of(e.text); kind = ValueKind::kString; break;
      case Expr::Kind::kBool: c.constant = Value::of(e.boolean); kind = ValueKind::kBool; break;
      case Expr::Kind::kPath: {
        if (scope != Scope::kPattern) {
          for (std::size_t i = 0; i < rule_.aggs.size(); ++i) {
            if (rule_.aggs[i].name == e.text) {
              c.kind = CExpr::Kind::kAgg;
              c.agg = static_cast<int>(i);
              kinds_[&e] = ValueKind::kNumber;
              return c;
            }
          }
          if (scope == Scope::kAction && canonical_path(e.text) == rule_.by && !rule_.by.empty()) {
            c.kind = CExpr::Kind::kField;
            c.field = rule_.by_field;
            c.field_kind = ValueKind::kString;
            kinds_[&e] = ValueKind::kString;
            return c;
          }
        }
        if (!resolve_field(e.text, e.pos, kind)) return std::nullopt;
        c.kind = CExpr::Kind::kField;
        c.field = field_id(canonical_path(e.text));
        c.field_kind = kind;
        break;
      }
      case Expr::Kind::kNeg:
      case Expr::Kind::kNot: {
        auto k = expr(e.children[0], scope, nullptr);
        if (!k) return std::nullopt;
        const auto inner = kind_of(e.children[0]);
        if (e.kind == Expr::Kind::kNeg) {
          c.kind = CExpr::Kind::kNeg;
          kind = ValueKind::kNumber;
          if (inner != ValueKind::kNumber && inner != ValueKind::kAny) {
            error(e.pos, "only numbers can be negated, but " + render(e.children[0]) + " is " + kind_name(inner));
          }
        } else {
          c.kind = CExpr::Kind::kNot;
          kind = ValueKind::kBool;
          if (inner != ValueKind::kBool && inner != ValueKind::kAny) {
            error(e.pos, "`not` needs something true or false, but " + render(e.children[0]) + " is " + kind_name(inner));
          }
        }
        c.kids.push_back(std::move(*k));
        break;
      }
      case Expr::Kind::kBinary: {
        auto l = expr(e.children[0], scope, nullptr);
        auto r = expr(e.children[1], scope, nullptr);
        if (!l || !r) return std::nullopt;
        const auto lk = kind_of(e.children[0]);
        const auto rk = kind_of(e.children[1]);
        c.op = e.op;
        switch (e.op) {
          case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv:
            c.kind = CExpr::Kind::kArith;
            kind = ValueKind::kNumber;
            for (const auto* side : {&e.children[0], &e.children[1]}) {
              const auto k = kind_of(*side);
              if (k != ValueKind::kNumber && k != ValueKind::kAny) {
                error(side->pos, "arithmetic needs numbers, but " + render(*side) + " is " + kind_name(k));
              }
            }
            break;
          case Op::kAnd: case Op::kOr:
            c.kind = e.op == Op::kAnd ? CExpr::Kind::kAnd : CExpr::Kind::kOr;
            kind = ValueKind::kBool;
            for (const auto* side : {&e.children[0], &e.children[1]}) {
              const auto k = kind_of(*side);
              if (k != ValueKind::kBool && k != ValueKind::kAny) {
                error(side->pos, std::string("`") + (e.op == Op::kAnd ? "and" : "or") +
                                     "` joins conditions, but " + render(*side) + " is " + kind_name(k) +
                                     " (did you mean " + render(*side) + " > 0?)");
              }
            }
            break;
          default:
            c.kind = CExpr::Kind::kCompare;
            kind = ValueKind::kBool;
            if (lk != ValueKind::kAny && rk != ValueKind::kAny && lk != rk) {
              error(e.pos, render(e.children[0]) + " is " + kind_name(lk) + ", but " + render(e.children[1]) +
                               " is " + kind_name(rk) + ": they cannot be compared");
            } else if ((lk == ValueKind::kBool || rk == ValueKind::kBool) && e.op != Op::kEq && e.op != Op::kNe) {
              error(e.pos, "true/false values can only be compared with == or !=");
            }
        }
        c.kids.push_back(std::move(*l));
        c.kids.push_back(std::move(*r));
        break;
      }
      case Expr::Kind::kIn: {
        auto subject = expr(e.children[0], scope, nullptr);
        if (!subject) return std::nullopt;
        const auto sk = kind_of(e.children[0]);
        c.kind = CExpr::Kind::kIn;
        c.negated = e.negated;
        kind = ValueKind::kBool;
        for (std::size_t i = 1; i < e.children.size(); ++i) {
          const auto& item = e.children[i];
          auto lit = expr(item, scope, nullptr);
          const auto ik = kind_of(item);
          if (sk != ValueKind::kAny && ik != sk) {
            error(item.pos, render(e.children[0]) + " is " + kind_name(sk) + ", but the list holds " + render(item) +
                                ", which is " + kind_name(ik));
          }
          if (lit) c.set.push_back(lit->constant);
        }
        c.kids.push_back(std::move(*subject));
        break;
      }
      case Expr::Kind::kMatches: {
        auto subject = expr(e.children[0], scope, nullptr);
        if (!subject) return std::nullopt;
        const auto sk = kind_of(e.children[0]);
        if (sk != ValueKind::kString && sk != ValueKind::kAny) {
          error(e.pos, "`matches` works on text, but " + render(e.children[0]) + " is " + kind_name(sk));
        }
        try {
          c.regex = std::make_shared<const std::regex>(e.text, std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error& ex) {
          error(e.pos, "\"" + e.text + "\" is not a valid pattern (regular expression): " + ex.what());
        }
        c.kind = CExpr::Kind::kMatches;
        kind = ValueKind::kBool;
        c.kids.push_back(std::move(*subject));
        break;
      }
      case Expr::Kind::kExists: {
        if (e.children[0].kind != Expr::Kind::kPath) {
          error(e.pos, "`exists` follows a field name, e.g. statement.result.score.scaled exists");
          return std::nullopt;
        }
        auto subject = expr(e.children[0], scope, nullptr);
        if (!subject) return std::nullopt;
        c.kind = CExpr::Kind::kExists;
        kind = ValueKind::kBool;
        c.kids.push_back(std::move(*subject));
        break;
      }
    }
    kinds_[&e] = kind;
    return c;
  }

  void aggregate(const Aggregate& a) {
    for (const auto& other : rule_.aggs) {
      if (other.name == a.name) error(a.pos, "\"" + a.name + "\" is defined twice; give each `let` its own name");
    }
    CAggregate c;
    c.name = a.name;
    c.fn = a.fn;
    c.pattern = pattern(a.pattern);
    c.window = a.window;
    c.window_us = a.window_us;
    static const char* kNames[] = {"count", "sum", "avg", "min", "max", "distinct", "trend"};
    const char* fn = kNames[static_cast<int>(a.fn)];
    if (a.fn == AggFn::kCount && !a.value_path.empty()) {
      error(a.value_pos, "count counts events and takes no field; to add up " + a.value_path + " use sum(" +
                             a.pattern.type + ", " + a.value_path + ")");
    }
    if (a.fn != AggFn::kCount && a.value_path.empty()) {
      error(a.pos, std::string(fn) + " needs the field to aggregate, e.g. " + fn + "(" + a.pattern.type + ", <field>)");
    }
    if (!a.value_path.empty() && a.fn != AggFn::kCount) {
      if (const auto* spec = find_event_type(a.pattern.type)) {
        auto saved = scope_;
        scope_ = {spec};
        ValueKind kind;
        if (resolve_field(a.value_path, a.value_pos, kind)) {
          c.value = field_id(canonical_path(a.value_path));
          c.has_value = true;
          c.value_is_text = kind != ValueKind::kNumber;
          if (a.fn != AggFn::kDistinct && kind != ValueKind::kNumber && kind != ValueKind::kAny) {
            error(a.value_pos, std::string(fn) + " needs a number, but " + a.value_path + " is " + kind_name(kind));
          }
          if (a.fn != AggFn::kDistinct) c.value_is_text = false;
        }
        scope_ = saved;
      }
    }
    c.text = std::string(fn) + "(" + c.pattern.text + (a.value_path.empty() ? "" : ", " + a.value_path) + ") over " +
             (a.window == WindowKind::kTumbling ? "tumbling " : "sliding ") + render_duration(a.window_us);
    rule_.aggs.push_back(std::move(c));
  }

  void schedule(const Schedule& s) {
    CSchedule c;
    c.kind = s.kind;
    c.weekday = s.weekday;
    c.hour = s.hour;
    c.minute = s.minute;
    c.time_zone = s.time_zone;
    if (!s.time_zone.empty() && zones_ && !zones_(s.time_zone)) {
      error(s.time_zone_pos, "\"" + s.time_zone + "\" is not a time zone; use a name such as \"Europe/Paris\" or \"UTC\"");
    }
    rule_.every = c;
  }

  // The types whose events reach per-key state, with the clause that uses them (for messages).
  std::vector<std::pair<const EventTypeSpec*, Pos>> keyed_types() const {
    std::vector<std::pair<const EventTypeSpec*, Pos>> out;
    for_each_pattern(ast_, [&](const Pattern& p) {
      if (const auto* t = find_event_type(p.type)) out.emplace_back(t, p.pos);
    });
    return out;
  }

  bool stateful() const {
    return !ast_.lets.empty() || !ast_.absences.empty() || !ast_.sequences.empty() || ast_.cooldown_us > 0;
  }

  void group_key() {
    auto types = keyed_types();
    if (!ast_.by.empty()) {
      rule_.by = canonical_path(ast_.by);
    } else if (stateful() && !types.empty()) {
      // Default: the subject every involved type is partitioned by.
      std::string_view key = types.front().first->partition_key;
      for (const auto& [t, pos] : types) {
        if (t->partition_key != key) key = {};
      }
      if (key.empty()) {
        error(ast_.pos, "rule " + ast_.id + " keeps state per key, so it needs `by <field>` (e.g. by learner_id)");
        return;
      }
      rule_.by = std::string(key);
    }
    if (rule_.by.empty()) return;
    rule_.by_field = field_id(rule_.by);
    if (stateful() && rule_.by == "id") {
      error(ast_.by_pos, "cannot group by id: every event has its own id, so no window, timer or sequence "
                         "would ever see two events; group by a subject or payload field (e.g. by course_id)");
      return;
    }
    for (const auto& [t, pos] : types) {
      const auto* f = find_field(*t, rule_.by);
      if (f == nullptr) {
        error(ast_.by.empty() ? pos : ast_.by_pos,
              std::string(t->type) + " events have no field \"" + rule_.by + "\" to group by");
      } else if (f->kind == ValueKind::kBool) {
        error(ast_.by_pos, "cannot group by " + rule_.by + ": it is only true or false");
      }
    }
  }

  // Per-key state (windows, timers, cooldowns) is kept per Kafka partition, so every event of one
  // key must reach the same partition. When the group key is not what each type is partitioned by,
  // the rule runs after the repartitioning stage, which re-keys its events by the group value.
  void copartition() {
    if (!stateful() || rule_.by.empty()) return;
    for (const auto& [t, pos] : keyed_types()) {
      if (t->partition_key != rule_.by) rule_.repartitioned = true;
    }
  }

  void once() {
    if (!ast_.once) return;
    const auto& o = *ast_.once;
    rule_.once_path = canonical_path(o.path);
    rule_.once_per_us = o.per_us;
    rule_.once_field = field_id(rule_.once_path);
    if (rule_.once_path == rule_.by) return;
    if (ast_.on.empty()) {
      error(o.pos, "`once per " + o.path + "` needs " + o.path + " to be the rule's `by` key, because this rule fires on a timer");
      return;
    }
    auto saved = scope_;
    scope_.clear();
    for (const auto& p : ast_.on) {
      if (const auto* t = find_event_type(p.type)) scope_.push_back(t);
    }
    ValueKind kind;
    resolve_field(o.path, o.pos, kind);
    scope_ = saved;
  }

  void action(const ActionCall& a) {
    static const std::vector<std::string> kNames = {"notify", "award_badge", "raise_alert", "request_insight", "emit", "webhook"};
    CAction c;
    auto it = std::find(kNames.begin(), kNames.end(), a.name);
    if (it == kNames.end()) {
      std::string hint = closest(a.name, kNames);
      error(a.pos, "there is no action \"" + a.name + "\"" +
                       (hint.empty() ? "; actions are " + join(kNames) : "; did you mean \"" + hint + "\"?"));
      return;
    }
    c.kind = static_cast<ActionKind>(it - kNames.begin());
    // Expected shapes: S = scalar, L = list, M = map; lowercase = optional.
    static const char* kShapes[] = {"SSLm", "S", "SS", "S", "Sm", "Sm"};
    static const char* kUsage[] = {
        "notify(recipient, \"template\", [email, in_app], {name: value})",
        "award_badge(\"badge\")",
        "raise_alert(\"kind\", \"severity\")",
        "request_insight(\"kind\")",
        "emit(\"event.type\", {field: value})",
        "webhook(\"https://...\", {field: value})"};
    const std::string shape = kShapes[static_cast<int>(c.kind)];
    std::size_t required = 0;
    for (char ch : shape) required += std::isupper(static_cast<unsigned char>(ch)) ? 1 : 0;
    if (a.args.size() < required || a.args.size() > shape.size()) {
      error(a.pos, a.name + " takes " + (required == shape.size() ? std::to_string(required)
                                                                   : std::to_string(required) + " or " + std::to_string(shape.size())) +
                       " argument" + (shape.size() == 1 ? "" : "s") + ": " + kUsage[static_cast<int>(c.kind)]);
      return;
    }
    auto saved = scope_;
    scope_.clear();
    for (const auto& p : ast_.on) {
      if (const auto* t = find_event_type(p.type)) scope_.push_back(t);
    }
    for (std::size_t i = 0; i < a.args.size(); ++i) {
      const auto& arg = a.args[i];
      const char want = static_cast<char>(std::toupper(static_cast<unsigned char>(shape[i])));
      const auto expected_kind = want == 'S' ? ActionArg::Kind::kExpr : want == 'L' ? ActionArg::Kind::kList : ActionArg::Kind::kMap;
      if (arg.kind != expected_kind) {
        error(arg.pos, "argument " + std::to_string(i + 1) + " of " + a.name + " should be " +
                           (want == 'S' ? "a value" : want == 'L' ? "a list in [ ]" : "a map in { }") + ": " +
                           kUsage[static_cast<int>(c.kind)]);
        continue;
      }
      if (arg.kind == ActionArg::Kind::kExpr) {
        if (auto e = expr(arg.expr, Scope::kAction, nullptr)) c.args.push_back(std::move(*e));
      } else if (arg.kind == ActionArg::Kind::kList) {
        static const std::vector<std::string> kChannels = {"email", "webhook", "in_app", "push"};
        for (const auto& ch : arg.list) {
          if (std::find(kChannels.begin(), kChannels.end(), ch) == kChannels.end()) {
            error(arg.pos, "\"" + ch + "\" is not a channel; channels are " + join(kChannels));
          }
          c.channels.push_back(ch);
        }
      } else {
        for (const auto& [name, value] : arg.map) {
          if (auto e = expr(value, Scope::kAction, nullptr)) c.fields.emplace_back(name, std::move(*e));
        }
      }
    }
    scope_ = saved;
    auto literal_in = [&](std::size_t index, const std::vector<std::string>& allowed, const char* what) {
      if (index >= a.args.size() || a.args[index].kind != ActionArg::Kind::kExpr) return;
      const auto& e = a.args[index].expr;
      if (e.kind != Expr::Kind::kString) return;
      if (std::find(allowed.begin(), allowed.end(), e.text) == allowed.end()) {
        error(e.pos, "\"" + e.text + "\" is not a " + what + "; use one of " + join(allowed));
      }
    };
    if (c.kind == ActionKind::kRaiseAlert) literal_in(1, {"info", "low", "medium", "high", "critical"}, "severity");
    if (c.kind == ActionKind::kWebhook && !a.args.empty() && a.args[0].expr.kind == Expr::Kind::kString &&
        !a.args[0].expr.text.starts_with("https://") && !a.args[0].expr.text.starts_with("http://")) {
      error(a.args[0].expr.pos, "the webhook address must start with https:// (or http://)");
    }
    rule_.actions.push_back(std::move(c));
  }

  const RuleAst& ast_;
  const TimeZoneCheck& zones_;
  CompiledRule rule_;
  std::vector<Diagnostic> errors_;
  std::vector<const EventTypeSpec*> scope_;
  std::map<const Expr*, ValueKind> kinds_;

 public:
  // `when` and action arguments see the fields common to every `on` type.
  void set_when_scope() {
    scope_.clear();
    for (const auto& p : ast_.on) {
      if (const auto* t = find_event_type(p.type)) scope_.push_back(t);
    }
  }
};

}  // namespace

CompileResult compile_rule(const RuleAst& rule, const std::string& tenant, std::uint32_t version,
                           const TimeZoneCheck& known_zone) {
  Compiler compiler(rule, tenant, version, known_zone);
  compiler.set_when_scope();
  return compiler.run();
}

CompileResult compile_text(std::string_view text, const std::string& tenant, std::uint32_t version,
                           const TimeZoneCheck& known_zone) {
  CompileResult result;
  auto parsed = parse_rules(text);
  if (!parsed.ok()) {
    result.errors = std::move(parsed.errors);
    return result;
  }
  std::set<std::string> ids;
  for (const auto& ast : parsed.rules) {
    if (!ids.insert(ast.id).second) {
      result.errors.push_back({ast.pos.line, ast.pos.column, "the rule id " + ast.id + " is used twice in this text"});
    }
    auto one = compile_rule(ast, tenant, version, known_zone);
    for (auto& e : one.errors) result.errors.push_back(std::move(e));
    for (auto& r : one.rules) result.rules.push_back(std::move(r));
  }
  std::stable_sort(result.errors.begin(), result.errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  if (!result.errors.empty()) result.rules.clear();
  return result;
}

}  // namespace edfleet::rules
