#include "domain/parser.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/parse_tree.hpp>

namespace edfleet::rules {

namespace peg = tao::pegtl;

namespace grammar {
using namespace tao::pegtl;

// Whitespace and `# comments` between tokens.
struct comment : seq<one<'#'>, until<eolf>> {};
struct ws : star<sor<ascii::space, comment>> {};

struct ident_first : ranges<'a', 'z', 'A', 'Z', '_'> {};
struct ident_other : ranges<'a', 'z', 'A', 'Z', '0', '9', '_'> {};
struct raw_ident : seq<ident_first, star<ident_other>> {};

template <typename Key>
struct kw : seq<Key, not_at<ident_other>, ws> {};

#define EDFLEET_KW(name) struct kw_##name : kw<TAO_PEGTL_STRING(#name)> {}
EDFLEET_KW(rule); EDFLEET_KW(on); EDFLEET_KW(by); EDFLEET_KW(let); EDFLEET_KW(when);
EDFLEET_KW(then); EDFLEET_KW(absent); EDFLEET_KW(for); EDFLEET_KW(after); EDFLEET_KW(sequence);
EDFLEET_KW(within); EDFLEET_KW(not); EDFLEET_KW(followed); EDFLEET_KW(every); EDFLEET_KW(at);
EDFLEET_KW(in); EDFLEET_KW(once); EDFLEET_KW(per); EDFLEET_KW(cooldown); EDFLEET_KW(and);
EDFLEET_KW(or); EDFLEET_KW(where); EDFLEET_KW(exists); EDFLEET_KW(matches); EDFLEET_KW(over);
EDFLEET_KW(sliding); EDFLEET_KW(tumbling); EDFLEET_KW(true); EDFLEET_KW(false); EDFLEET_KW(day);
EDFLEET_KW(hour);
#undef EDFLEET_KW

// Reserved words cannot be field names (plain strings here, so a failed look-ahead is not reported
// as "expected ...").
struct keyword
    : seq<sor<TAO_PEGTL_STRING("rule"), TAO_PEGTL_STRING("on"), TAO_PEGTL_STRING("by"),
              TAO_PEGTL_STRING("let"), TAO_PEGTL_STRING("when"), TAO_PEGTL_STRING("then"),
              TAO_PEGTL_STRING("absent"), TAO_PEGTL_STRING("for"), TAO_PEGTL_STRING("after"),
              TAO_PEGTL_STRING("sequence"), TAO_PEGTL_STRING("within"), TAO_PEGTL_STRING("not"),
              TAO_PEGTL_STRING("followed"), TAO_PEGTL_STRING("every"), TAO_PEGTL_STRING("at"),
              TAO_PEGTL_STRING("in"), TAO_PEGTL_STRING("once"), TAO_PEGTL_STRING("per"),
              TAO_PEGTL_STRING("cooldown"), TAO_PEGTL_STRING("and"), TAO_PEGTL_STRING("or"),
              TAO_PEGTL_STRING("where"), TAO_PEGTL_STRING("exists"), TAO_PEGTL_STRING("matches"),
              TAO_PEGTL_STRING("over"), TAO_PEGTL_STRING("sliding"), TAO_PEGTL_STRING("tumbling"),
              TAO_PEGTL_STRING("true"), TAO_PEGTL_STRING("false")>,
          not_at<ident_other>> {};

struct ident : seq<not_at<keyword>, raw_ident> {};
// A field path: statement.verb.id (later segments may be any word, e.g. payload.sequence).
struct path : seq<ident, star<one<'.'>, raw_ident>> {};
struct path_tok : seq<path, ws> {};
struct name_tok : seq<ident, ws> {};
// A dotted event type: quiz.submitted, ops.ib_call_logged.
struct event_type : seq<raw_ident, plus<one<'.'>, raw_ident>> {};
struct event_type_tok : seq<event_type, ws> {};

struct escaped : seq<one<'\\'>, any> {};
struct string_char : sor<escaped, not_one<'"', '\n'>> {};
struct string_body : star<string_char> {};
struct string_lit : seq<one<'"'>, string_body, one<'"'>, ws> {};
struct number : seq<plus<digit>, opt<one<'.'>, plus<digit>>> {};
struct number_tok : seq<number, not_at<ident_other>, ws> {};
struct duration_unit : sor<string<'m', 's'>, one<'s', 'm', 'h', 'd', 'w'>> {};
struct duration : seq<plus<seq<plus<digit>, duration_unit>>, not_at<ident_other>> {};
struct duration_tok : seq<duration, ws> {};

template <char C>
struct sym : seq<one<C>, ws> {};
struct comma : sym<','> {};

// --- expressions -------------------------------------------------------------------------------
struct condition;
struct true_lit : kw_true {};
struct false_lit : kw_false {};
struct paren : seq<sym<'('>, condition, sym<')'>> {};
struct primary : sor<number_tok, string_lit, true_lit, false_lit, paren, path_tok> {};
struct neg_op : sym<'-'> {};
struct unary;
struct negation : seq<neg_op, unary> {};
struct unary : sor<negation, primary> {};
struct mul_op : seq<one<'*', '/'>, ws> {};
struct product : seq<unary, star<mul_op, unary>> {};
struct add_op : seq<one<'+', '-'>, ws> {};
struct sum : seq<product, star<add_op, product>> {};
struct cmp_op : seq<sor<string<'=', '='>, string<'!', '='>, string<'<', '='>, string<'>', '='>, one<'<'>,
                        one<'>'>>,
                    ws> {};
struct literal : sor<number_tok, string_lit, true_lit, false_lit, seq<neg_op, number_tok>> {};
struct literal_list : seq<sym<'('>, literal, star<comma, literal>, sym<')'>> {};
struct compare : seq<cmp_op, sum> {};
struct in_list : seq<kw_in, literal_list> {};
struct not_in_list : seq<kw_not, kw_in, literal_list> {};
struct match_re : seq<kw_matches, string_lit> {};
struct exists_test : kw_exists {};
struct predicate : seq<sum, opt<sor<compare, in_list, not_in_list, match_re, exists_test>>> {};
struct not_expr;
struct negated : seq<kw_not, not_expr> {};
struct not_expr : sor<negated, predicate> {};
struct and_op : kw_and {};
struct and_expr : seq<not_expr, star<and_op, not_expr>> {};
struct or_op : kw_or {};
struct condition : seq<and_expr, star<or_op, and_expr>> {};

// --- clauses -----------------------------------------------------------------------------------
struct where_part : seq<kw_where, condition> {};
struct pattern : seq<event_type_tok, opt<where_part>> {};

struct on_clause : seq<kw_on, pattern, star<comma, pattern>> {};
struct by_clause : seq<kw_by, path_tok> {};

struct agg_fn : sor<TAO_PEGTL_STRING("count"), TAO_PEGTL_STRING("sum"), TAO_PEGTL_STRING("avg"),
                    TAO_PEGTL_STRING("min"), TAO_PEGTL_STRING("max"), TAO_PEGTL_STRING("distinct"),
                    TAO_PEGTL_STRING("trend")> {};
struct agg_fn_tok : seq<agg_fn, not_at<ident_other>, ws> {};
struct agg_value : seq<comma, path_tok> {};
struct window_kind : sor<kw_sliding, kw_tumbling> {};
struct window : seq<kw_over, opt<window_kind>, duration_tok> {};
struct aggregate : seq<agg_fn_tok, sym<'('>, pattern, opt<agg_value>, sym<')'>, window> {};
struct let_clause : seq<kw_let, name_tok, sym<'='>, aggregate> {};
struct when_clause : seq<kw_when, condition> {};
struct after_part : seq<kw_after, pattern> {};
struct absent_clause : seq<kw_absent, pattern, kw_for, duration_tok, opt<after_part>> {};
struct then_next : seq<kw_then, pattern> {};
struct not_followed : seq<kw_not, kw_followed, kw_by, pattern> {};
struct sequence_clause : seq<kw_sequence, pattern, sor<then_next, not_followed>, kw_within, duration_tok> {};
struct weekday : sor<TAO_PEGTL_STRING("monday"), TAO_PEGTL_STRING("tuesday"), TAO_PEGTL_STRING("wednesday"),
                     TAO_PEGTL_STRING("thursday"), TAO_PEGTL_STRING("friday"), TAO_PEGTL_STRING("saturday"),
                     TAO_PEGTL_STRING("sunday")> {};
struct weekday_tok : seq<weekday, not_at<ident_other>, ws> {};
struct daily : kw_day {};
struct hourly : kw_hour {};
struct clock_time : seq<digit, opt<digit>, one<':'>, digit, digit> {};
struct clock_time_tok : seq<clock_time, ws> {};
struct at_time : seq<kw_at, clock_time_tok> {};
struct time_zone : seq<kw_in, string_lit> {};
struct every_clause : seq<kw_every, sor<hourly, seq<sor<daily, weekday_tok>, at_time>>, opt<time_zone>> {};
struct once_per : seq<kw_per, duration_tok> {};
struct once_clause : seq<kw_once, kw_per, path_tok, opt<once_per>> {};
struct cooldown_clause : seq<kw_cooldown, duration_tok> {};
struct clause : sor<on_clause, by_clause, let_clause, when_clause, absent_clause, sequence_clause,
                    every_clause, once_clause, cooldown_clause> {};

struct list_item : sor<string_lit, name_tok> {};
struct list_arg : seq<sym<'['>, opt<list_item, star<comma, list_item>>, sym<']'>> {};
struct map_entry : seq<name_tok, sym<':'>, sum> {};
struct map_arg : seq<sym<'{'>, opt<map_entry, star<comma, map_entry>>, sym<'}'>> {};
struct expr_arg : sum {};
struct action_arg : sor<list_arg, map_arg, expr_arg> {};
struct action_name : seq<ident, ws> {};
struct action : seq<action_name, sym<'('>, opt<action_arg, star<comma, action_arg>>, sym<')'>> {};
struct then_clause : seq<kw_then, action, star<comma, action>> {};

struct rule_id : seq<raw_ident, ws> {};
struct rule_title : string_lit {};
struct rule_end : sor<eof, at<kw_rule>> {};
struct rule_def : seq<kw_rule, rule_id, opt<rule_title>, star<clause>, then_clause, rule_end> {};
struct file : seq<ws, rule_def, star<rule_def>, eof> {};
}  // namespace grammar

namespace {

using namespace grammar;

// Which parse-tree nodes we keep (everything structural; tokens we need the text of).
template <typename Rule>
using selector = peg::parse_tree::selector<
    Rule,
    peg::parse_tree::store_content::on<
        rule_def, rule_id, rule_title, on_clause, by_clause, let_clause, when_clause, absent_clause,
        sequence_clause, every_clause, once_clause, cooldown_clause, then_clause, pattern, where_part,
        event_type, path, string_body, number, duration, true_lit, false_lit, paren, negation, product,
        mul_op, sum, add_op, cmp_op, compare, in_list, not_in_list, match_re, exists_test, predicate,
        negated, and_expr, condition, literal, literal_list, agg_fn, agg_value, window_kind, window,
        aggregate, name_tok, after_part, then_next, not_followed, weekday, daily, hourly, clock_time,
        time_zone, once_per, list_item, list_arg, map_entry, map_arg, expr_arg, action_arg, action_name,
        action>>;

// --- errors: a message per place where the text must continue in one way -----------------------
// The parser records the furthest position it reached and what it was trying there; the message
// says what was expected in words (not grammar rule names).
struct Furthest {
  std::size_t byte = 0;
  std::size_t line = 1;
  std::size_t column = 1;
  std::string expected;
  bool set = false;
};

template <typename Rule>
constexpr const char* expected_text() {
  if constexpr (std::is_same_v<Rule, kw_rule>) return "`rule` followed by the rule's id";
  else if constexpr (std::is_same_v<Rule, raw_ident>) return "a name (letters, digits and _)";
  else if constexpr (std::is_same_v<Rule, event_type>) return "an event type such as quiz.submitted";
  else if constexpr (std::is_same_v<Rule, string_lit>) return "text in double quotes";
  else if constexpr (std::is_same_v<Rule, duration>) return "a duration such as 30m, 1h, 7d or 2w";
  else if constexpr (std::is_same_v<Rule, clock_time>) return "a time of day such as 09:00";
  else if constexpr (std::is_same_v<Rule, number>) return "a number";
  else if constexpr (std::is_same_v<Rule, kw_then>) return "`then` followed by the actions";
  else if constexpr (std::is_same_v<Rule, kw_for>) return "`for` and a duration";
  else if constexpr (std::is_same_v<Rule, kw_within>) return "`within` and a duration";
  else if constexpr (std::is_same_v<Rule, kw_over>) return "`over` and a window, e.g. over sliding 7d";
  else if constexpr (std::is_same_v<Rule, kw_at>) return "`at` and a time of day, e.g. at 09:00";
  else if constexpr (std::is_same_v<Rule, kw_per>) return "`per` and the key, e.g. once per learner_id";
  else if constexpr (std::is_same_v<Rule, agg_fn>) return "an aggregate: count, sum, avg, min, max, distinct or trend";
  else if constexpr (std::is_same_v<Rule, cmp_op>) return "a comparison (==, !=, <, <=, >, >=)";
  else if constexpr (std::is_same_v<Rule, path>) return "a field name";
  else if constexpr (std::is_same_v<Rule, weekday>) return "`day`, `hour` or a weekday (monday ... sunday)";
  else if constexpr (std::is_same_v<Rule, eof>) return "the end of the rule, or a new `rule`";
  else return nullptr;
}

template <typename Rule>
struct tracking_control : peg::normal<Rule> {
  template <typename ParseInput, typename... States>
  static void failure(const ParseInput& in, Furthest& furthest, States&&... /*st*/) {
    constexpr const char* what = expected_text<Rule>();
    if constexpr (what != nullptr) {
      const auto byte = static_cast<std::size_t>(in.current() - in.begin());
      if (!furthest.set || byte > furthest.byte) {
        const auto p = in.position();
        furthest = {byte, p.line, p.column, what, true};
      } else if (byte == furthest.byte && furthest.expected.find(what) == std::string::npos) {
        furthest.expected += " or ";
        furthest.expected += what;
      }
    }
  }
};

std::string describe_found(std::string_view text, std::size_t byte) {
  if (byte >= text.size()) return "the end of the text";
  std::size_t end = byte;
  while (end < text.size() && end - byte < 20 && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
  if (end == byte) end = byte + 1;
  return "\"" + std::string(text.substr(byte, end - byte)) + "\"";
}

// Tokens that usually mean a particular mistake get a better sentence.
std::string friendly(std::string_view text, const Furthest& f) {
  std::string found = describe_found(text, f.byte);
  std::string expected = f.expected.empty() ? "something else" : f.expected;
  // Keep the message short: at most three alternatives.
  std::size_t count = 0, at = 0;
  while ((at = expected.find(" or ", at)) != std::string::npos) {
    if (++count == 3) {
      expected = expected.substr(0, at);
      break;
    }
    at += 4;
  }
  if (f.byte < text.size() && text[f.byte] == '=' && (f.byte + 1 >= text.size() || text[f.byte + 1] != '=')) {
    return "found a single \"=\"; to compare, write \"==\"";
  }
  if (f.byte < text.size() && text[f.byte] == '\'') return "text must be in double quotes (\"...\"), not single quotes";
  return "expected " + expected + ", but found " + found;
}

// --- parse tree -> AST ---------------------------------------------------------------------------
using Node = peg::parse_tree::node;

Pos pos_of(const Node& n) {
  const auto p = n.begin();
  return {static_cast<std::uint32_t>(p.line), static_cast<std::uint32_t>(p.column)};
}

struct BuildError {
  Pos pos;
  std::string message;
};

std::string unescape(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size()) {
      ++i;
      switch (body[i]) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        default: out.push_back(body[i]);
      }
    } else {
      out.push_back(body[i]);
    }
  }
  return out;
}

std::string string_of(const Node& n) {
  // A string_lit's kept child is its body.
  for (const auto& c : n.children) {
    if (c->is_type<string_body>()) return unescape(c->string_view());
  }
  if (n.is_type<string_body>()) return unescape(n.string_view());
  return {};
}

std::int64_t duration_of(const Node& n) {
  const auto text = n.string_view();
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
    if (ec != std::errc{}) throw BuildError{pos_of(n), "the duration " + std::string(text) + " is too large"};
    i = static_cast<std::size_t>(end - text.data());
    std::int64_t unit = 1;
    if (text.substr(i, 2) == "ms") {
      unit = 1000;
      i += 2;
    } else {
      switch (text[i]) {
        case 's': unit = 1'000'000; break;
        case 'm': unit = 60'000'000; break;
        case 'h': unit = 3'600'000'000; break;
        case 'd': unit = 86'400'000'000; break;
        default: unit = 7 * 86'400'000'000LL; break;
      }
      ++i;
    }
    if (value > (std::int64_t{1} << 62) / unit) throw BuildError{pos_of(n), "the duration " + std::string(text) + " is too large"};
    total += value * unit;
  }
  if (total <= 0) throw BuildError{pos_of(n), "a duration must be longer than zero"};
  return total;
}

const Node* child(const Node& n, auto pred) {
  for (const auto& c : n.children) {
    if (pred(*c)) return c.get();
  }
  return nullptr;
}

template <typename T>
const Node* find(const Node& n) {
  return child(n, [](const Node& c) { return c.is_type<T>(); });
}

Expr build_expr(const Node& n);

Expr literal_expr(const Node& n) {
  // n: literal | number | string | true/false, possibly "-" number
  Expr e;
  e.pos = pos_of(n);
  const Node* inner = &n;
  if (n.is_type<literal>()) {
    if (n.children.empty()) throw BuildError{pos_of(n), "expected a value"};
    if (n.children.size() == 1) {
      inner = n.children[0].get();
    } else {  // "-" number: children: number (neg_op not kept)
      inner = n.children.back().get();
      Expr v = literal_expr(*inner);
      v.number = -v.number;
      v.pos = e.pos;
      return v;
    }
  }
  if (inner->is_type<number>()) {
    e.kind = Expr::Kind::kNumber;
    const auto text = inner->string_view();
    e.number = std::strtod(std::string(text).c_str(), nullptr);
    // A "-" directly before a literal number in a list.
    if (n.is_type<literal>() && n.string_view().starts_with("-")) e.number = -e.number;
  } else if (inner->is_type<string_body>()) {
    e.kind = Expr::Kind::kString;
    e.text = unescape(inner->string_view());
  } else if (inner->is_type<true_lit>() || inner->is_type<false_lit>()) {
    e.kind = Expr::Kind::kBool;
    e.boolean = inner->is_type<true_lit>();
  } else {
    return build_expr(*inner);
  }
  return e;
}

Expr binary(Op op, Expr l, Expr r, Pos pos) {
  Expr e;
  e.kind = Expr::Kind::kBinary;
  e.op = op;
  e.pos = pos;
  e.children.push_back(std::move(l));
  e.children.push_back(std::move(r));
  return e;
}

Op op_of(std::string_view text) {
  if (text.starts_with("==")) return Op::kEq;
  if (text.starts_with("!=")) return Op::kNe;
  if (text.starts_with("<=")) return Op::kLe;
  if (text.starts_with(">=")) return Op::kGe;
  if (text.starts_with("<")) return Op::kLt;
  if (text.starts_with(">")) return Op::kGt;
  if (text.starts_with("+")) return Op::kAdd;
  if (text.starts_with("-")) return Op::kSub;
  if (text.starts_with("*")) return Op::kMul;
  return Op::kDiv;
}

// Left-associative chain: operand (op operand)*; operators are kept nodes (or implicit for and/or).
Expr build_chain(const Node& n, std::optional<Op> implicit) {
  Expr acc = build_expr(*n.children.at(0));
  for (std::size_t i = 1; i < n.children.size(); ++i) {
    Op op;
    if (implicit) {
      op = *implicit;
    } else {
      op = op_of(n.children[i]->string_view());
      ++i;
    }
    Expr rhs = build_expr(*n.children.at(i));
    const Pos p = acc.pos;
    acc = binary(op, std::move(acc), std::move(rhs), p);
  }
  return acc;
}

Expr build_expr(const Node& n) {
  if (n.is_type<condition>()) return build_chain(n, Op::kOr);
  if (n.is_type<and_expr>()) return build_chain(n, Op::kAnd);
  if (n.is_type<sum>() || n.is_type<product>()) return build_chain(n, std::nullopt);
  if (n.is_type<negated>() || n.is_type<negation>()) {
    Expr e;
    e.kind = n.is_type<negated>() ? Expr::Kind::kNot : Expr::Kind::kNeg;
    e.pos = pos_of(n);
    e.children.push_back(build_expr(*n.children.at(0)));
    return e;
  }
  if (n.is_type<paren>()) return build_expr(*n.children.at(0));
  if (n.is_type<predicate>()) {
    Expr lhs = build_expr(*n.children.at(0));
    if (n.children.size() == 1) return lhs;
    const Node& suffix = *n.children[1];
    Expr e;
    e.pos = lhs.pos;
    if (suffix.is_type<compare>()) {
      return binary(op_of(suffix.children.at(0)->string_view()), std::move(lhs),
                    build_expr(*suffix.children.at(1)), pos_of(*suffix.children.at(0)));
    }
    if (suffix.is_type<in_list>() || suffix.is_type<not_in_list>()) {
      e.kind = Expr::Kind::kIn;
      e.negated = suffix.is_type<not_in_list>();
      e.children.push_back(std::move(lhs));
      for (const auto& item : suffix.children.at(0)->children) e.children.push_back(literal_expr(*item));
      return e;
    }
    if (suffix.is_type<match_re>()) {
      e.kind = Expr::Kind::kMatches;
      e.text = string_of(suffix);
      e.children.push_back(std::move(lhs));
      e.pos = pos_of(suffix);
      return e;
    }
    e.kind = Expr::Kind::kExists;
    e.children.push_back(std::move(lhs));
    return e;
  }
  if (n.is_type<path>()) {
    Expr e;
    e.kind = Expr::Kind::kPath;
    e.pos = pos_of(n);
    e.text = std::string(n.string_view());
    return e;
  }
  if (n.is_type<expr_arg>() && !n.children.empty()) return build_expr(*n.children[0]);
  return literal_expr(n);
}

Pattern build_pattern(const Node& n) {
  Pattern p;
  p.pos = pos_of(n);
  p.type = std::string(find<event_type>(n)->string_view());
  if (const Node* w = find<where_part>(n)) p.where = build_expr(*w->children.at(0));
  return p;
}

int parse_clock(const Node& n, int& minute) {
  const auto text = n.string_view();
  const auto colon = text.find(':');
  int hour = std::stoi(std::string(text.substr(0, colon)));
  minute = std::stoi(std::string(text.substr(colon + 1)));
  if (hour > 23 || minute > 59) throw BuildError{pos_of(n), "the time " + std::string(text) + " is not a time of day (00:00 to 23:59)"};
  return hour;
}

RuleAst build_rule(const Node& n, std::string_view source) {
  RuleAst r;
  r.pos = pos_of(n);
  r.source = std::string(source.substr(static_cast<std::size_t>(n.begin().byte),
                                       static_cast<std::size_t>(n.end().byte - n.begin().byte)));
  while (!r.source.empty() && std::isspace(static_cast<unsigned char>(r.source.back()))) r.source.pop_back();
  for (const auto& cp : n.children) {
    const Node& c = *cp;
    if (c.is_type<rule_id>()) {
      r.id = std::string(c.string_view());
      while (!r.id.empty() && std::isspace(static_cast<unsigned char>(r.id.back()))) r.id.pop_back();
    } else if (c.is_type<rule_title>()) {
      r.title = string_of(c);
    } else if (c.is_type<on_clause>()) {
      for (const auto& p : c.children) r.on.push_back(build_pattern(*p));
    } else if (c.is_type<by_clause>()) {
      r.by = std::string(c.children.at(0)->string_view());
      r.by_pos = pos_of(*c.children.at(0));
    } else if (c.is_type<let_clause>()) {
      Aggregate a;
      a.pos = pos_of(c);
      a.name = std::string(find<name_tok>(c)->string_view());
      while (!a.name.empty() && std::isspace(static_cast<unsigned char>(a.name.back()))) a.name.pop_back();
      const Node& agg = *find<aggregate>(c);
      const auto fn = find<agg_fn>(agg)->string_view();
      a.fn = fn == "count" ? AggFn::kCount : fn == "sum" ? AggFn::kSum : fn == "avg" ? AggFn::kAvg
           : fn == "min" ? AggFn::kMin : fn == "max" ? AggFn::kMax : fn == "distinct" ? AggFn::kDistinct
           : AggFn::kTrend;
      a.pattern = build_pattern(*find<pattern>(agg));
      if (const Node* v = find<agg_value>(agg)) {
        a.value_path = std::string(v->children.at(0)->string_view());
        a.value_pos = pos_of(*v->children.at(0));
      }
      const Node& w = *find<window>(agg);
      if (const Node* k = find<window_kind>(w)) {
        a.window = k->string_view().starts_with("tumbling") ? WindowKind::kTumbling : WindowKind::kSliding;
      }
      a.window_us = duration_of(*find<duration>(w));
      r.lets.push_back(std::move(a));
    } else if (c.is_type<when_clause>()) {
      if (r.when) throw BuildError{pos_of(c), "a rule has one `when`; combine conditions with and / or"};
      r.when = build_expr(*c.children.at(0));
    } else if (c.is_type<absent_clause>()) {
      Absence a;
      a.pos = pos_of(c);
      a.missing = build_pattern(*c.children.at(0));
      a.within_us = duration_of(*find<duration>(c));
      if (const Node* after = find<after_part>(c)) a.after = build_pattern(*after->children.at(0));
      r.absences.push_back(std::move(a));
    } else if (c.is_type<sequence_clause>()) {
      Sequence s;
      s.pos = pos_of(c);
      s.first = build_pattern(*c.children.at(0));
      const Node& next = *c.children.at(1);
      s.not_followed = next.is_type<not_followed>();
      s.second = build_pattern(*next.children.at(0));
      s.within_us = duration_of(*find<duration>(c));
      r.sequences.push_back(std::move(s));
    } else if (c.is_type<every_clause>()) {
      if (r.every) throw BuildError{pos_of(c), "a rule has at most one `every` schedule"};
      Schedule s;
      s.pos = pos_of(c);
      if (find<hourly>(c)) {
        s.kind = Schedule::Kind::kHourly;
      } else {
        if (const Node* wd = find<weekday>(c)) {
          static const char* kDays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
          s.kind = Schedule::Kind::kWeekly;
          for (int i = 0; i < 7; ++i) {
            if (wd->string_view() == kDays[i]) s.weekday = i;
          }
        }
        for (const auto& x : c.children) {
          if (x->is_type<clock_time>()) s.hour = parse_clock(*x, s.minute);
        }
      }
      if (const Node* tz = find<time_zone>(c)) {
        s.time_zone = string_of(*tz);
        s.time_zone_pos = pos_of(*tz);
      }
      r.every = s;
    } else if (c.is_type<once_clause>()) {
      if (r.once) throw BuildError{pos_of(c), "a rule has at most one `once per`"};
      Once o;
      o.pos = pos_of(c);
      o.path = std::string(find<path>(c)->string_view());
      if (const Node* per = find<once_per>(c)) o.per_us = duration_of(*per->children.at(0));
      r.once = o;
    } else if (c.is_type<cooldown_clause>()) {
      r.cooldown_us = duration_of(*c.children.at(0));
    } else if (c.is_type<then_clause>()) {
      for (const auto& ap : c.children) {
        const Node& a = *ap;
        ActionCall call;
        call.pos = pos_of(a);
        call.name = std::string(find<action_name>(a)->string_view());
        while (!call.name.empty() && std::isspace(static_cast<unsigned char>(call.name.back()))) call.name.pop_back();
        for (const auto& argp : a.children) {
          if (!argp->is_type<action_arg>()) continue;
          const Node& inner = *argp->children.at(0);
          ActionArg arg;
          arg.pos = pos_of(inner);
          if (inner.is_type<list_arg>()) {
            arg.kind = ActionArg::Kind::kList;
            for (const auto& item : inner.children) {
              std::string v = item->children.empty() || !item->children[0]->is_type<string_body>()
                                  ? std::string(item->string_view())
                                  : unescape(item->children[0]->string_view());
              while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
              arg.list.push_back(v);
            }
          } else if (inner.is_type<map_arg>()) {
            arg.kind = ActionArg::Kind::kMap;
            for (const auto& entry : inner.children) {
              std::string key(entry->children.at(0)->string_view());
              while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
              arg.map.emplace_back(key, build_expr(*entry->children.at(1)));
            }
          } else {
            arg.expr = build_expr(inner);
          }
          call.args.push_back(std::move(arg));
        }
        r.actions.push_back(std::move(call));
      }
    }
  }
  return r;
}

}  // namespace

ParseResult parse_rules(std::string_view text) {
  ParseResult result;
  // Pass 1 checks the text and finds where it stops making sense; pass 2 builds the tree.
  Furthest furthest;
  bool matched = false;
  try {
    peg::memory_input in(text.data(), text.size(), "rule");
    matched = peg::parse<grammar::file, peg::nothing, tracking_control>(in, furthest);
  } catch (const peg::parse_error& e) {
    const auto& p = e.positions().front();
    result.errors.push_back({static_cast<std::uint32_t>(p.line), static_cast<std::uint32_t>(p.column),
                             std::string(e.message())});
    return result;
  }
  if (!matched) {
    Diagnostic d;
    if (furthest.set) {
      d.line = static_cast<std::uint32_t>(furthest.line);
      d.column = static_cast<std::uint32_t>(furthest.column);
      d.message = friendly(text, furthest);
    } else {
      d.line = 1;
      d.column = 1;
      d.message = "expected `rule` followed by the rule's id";
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      d.message = "the text is empty: a rule starts with `rule <id>`";
    }
    result.errors.push_back(std::move(d));
    return result;
  }
  peg::memory_input in(text.data(), text.size(), "rule");
  std::unique_ptr<Node> root = peg::parse_tree::parse<grammar::file, selector>(in);
  if (!root) {
    result.errors.push_back({1, 1, "the rule text could not be read"});
    return result;
  }
  try {
    for (const auto& r : root->children) result.rules.push_back(build_rule(*r, text));
  } catch (const BuildError& e) {
    result.rules.clear();
    result.errors.push_back({e.pos.line, e.pos.column, e.message});
  }
  return result;
}

std::string format_diagnostic(const Diagnostic& d) {
  return "line " + std::to_string(d.line) + ", column " + std::to_string(d.column) + ": " + d.message;
}

std::string render_duration(std::int64_t us) {
  struct Unit { std::int64_t us; const char* name; };
  static const Unit kUnits[] = {{7 * 86'400'000'000LL, "w"}, {86'400'000'000LL, "d"}, {3'600'000'000LL, "h"},
                                {60'000'000LL, "m"}, {1'000'000LL, "s"}, {1000, "ms"}};
  std::string out;
  for (const auto& u : kUnits) {
    if (us >= u.us) {
      out += std::to_string(us / u.us) + u.name;
      us %= u.us;
    }
  }
  return out.empty() ? "0s" : out;
}

namespace {
const char* op_text(Op op) {
  switch (op) {
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kEq: return "==";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kAnd: return "and";
    case Op::kOr: return "or";
  }
  return "?";
}

std::string number_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.15g", v);
  return buffer;
}
}  // namespace

std::string render(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kNumber: return number_text(e.number);
    case Expr::Kind::kString: return "\"" + e.text + "\"";
    case Expr::Kind::kBool: return e.boolean ? "true" : "false";
    case Expr::Kind::kPath: return e.text;
    case Expr::Kind::kNeg: return "-" + render(e.children.at(0));
    case Expr::Kind::kNot: {
      const auto& c = e.children.at(0);
      const bool group = c.kind == Expr::Kind::kBinary && (c.op == Op::kAnd || c.op == Op::kOr);
      return group ? "not (" + render(c) + ")" : "not " + render(c);
    }
    case Expr::Kind::kBinary: {
      const bool logic = e.op == Op::kAnd || e.op == Op::kOr;
      std::string l = render(e.children.at(0));
      std::string r = render(e.children.at(1));
      if (logic && e.op == Op::kAnd) {
        if (e.children[0].kind == Expr::Kind::kBinary && e.children[0].op == Op::kOr) l = "(" + l + ")";
        if (e.children[1].kind == Expr::Kind::kBinary && e.children[1].op == Op::kOr) r = "(" + r + ")";
      }
      return l + " " + op_text(e.op) + " " + r;
    }
    case Expr::Kind::kIn: {
      std::string out = render(e.children.at(0)) + (e.negated ? " not in (" : " in (");
      for (std::size_t i = 1; i < e.children.size(); ++i) out += (i > 1 ? ", " : "") + render(e.children[i]);
      return out + ")";
    }
    case Expr::Kind::kMatches: return render(e.children.at(0)) + " matches \"" + e.text + "\"";
    case Expr::Kind::kExists: return render(e.children.at(0)) + " exists";
  }
  return {};
}

}  // namespace edfleet::rules
