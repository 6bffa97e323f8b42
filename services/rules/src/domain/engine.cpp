#include "domain/engine.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <absl/container/flat_hash_map.h>

#include "edfleet/core/hash.h"
#include "edfleet/core/time_format.h"

namespace edfleet::rules {

namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxPending = 1000;     // pending sequence starts per key
constexpr std::size_t kMaxEvidenceIds = 20;

std::int64_t us(core::Timestamp t) { return t.time_since_epoch().count(); }
core::Timestamp ts(std::int64_t v) { return core::Timestamp{std::chrono::microseconds{v}}; }

std::int64_t floor_to(std::int64_t t, std::int64_t size) {
  std::int64_t q = t / size;
  if (t % size != 0 && t < 0) --q;
  return q * size;
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t basis = 14695981039346656037ULL) {
  std::uint64_t h = basis;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// --- binary state encoding ----------------------------------------------------------------------
struct Writer {
  std::string out;
  void u64(std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v) { out.append(reinterpret_cast<const char*>(&v), 8); }
  void u32(std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out.append(s);
  }
};

struct Reader {
  std::string_view in;
  std::size_t at = 0;
  bool ok = true;
  template <typename T>
  T get() {
    T v{};
    if (at + sizeof(T) > in.size()) {
      ok = false;
      return v;
    }
    std::memcpy(&v, in.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  std::uint64_t u64() { return get<std::uint64_t>(); }
  std::int64_t i64() { return get<std::int64_t>(); }
  double f64() { return get<double>(); }
  std::uint32_t u32() { return get<std::uint32_t>(); }
  std::string str() {
    auto n = u32();
    if (!ok || at + n > in.size()) {
      ok = false;
      return {};
    }
    std::string s(in.substr(at, n));
    at += n;
    return s;
  }
};

// A value being evaluated: strings are views into the event, the plan or the key.
struct V {
  Value::Kind kind = Value::Kind::kNull;
  bool b = false;
  double n = 0;
  std::string_view s;
};

V view(const Value& v) { return V{v.kind, v.boolean, v.number, v.text}; }
V number(double n) { return V{Value::Kind::kNumber, false, n, {}}; }
V boolean(bool b) { return V{Value::Kind::kBool, b, 0, {}}; }
bool truthy(const V& v) { return v.kind == Value::Kind::kBool && v.b; }

bool equal(const V& a, const V& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kNumber: return a.n == b.n;
    case Value::Kind::kString: return a.s == b.s;
    case Value::Kind::kBool: return a.b == b.b;
    default: return false;
  }
}

bool compare(const V& a, const V& b, Op op) {
  if (a.kind == Value::Kind::kNull || b.kind == Value::Kind::kNull || a.kind != b.kind) return false;
  if (op == Op::kEq) return equal(a, b);
  if (op == Op::kNe) return !equal(a, b);
  int c = 0;
  if (a.kind == Value::Kind::kNumber) {
    c = a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
  } else if (a.kind == Value::Kind::kString) {
    c = a.s.compare(b.s);
    c = c < 0 ? -1 : c > 0 ? 1 : 0;
  } else {
    return false;
  }
  switch (op) {
    case Op::kLt: return c < 0;
    case Op::kLe: return c <= 0;
    case Op::kGt: return c > 0;
    case Op::kGe: return c >= 0;
    default: return false;
  }
}

std::string format_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc{} ? std::string(buffer, end) : "0";
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

}  // namespace

// --- values, events, ids -------------------------------------------------------------------------

std::string Value::to_string() const {
  switch (kind) {
    case Kind::kNumber: return format_number(number);
    case Kind::kString: return text;
    case Kind::kBool: return boolean ? "true" : "false";
    default: return {};
  }
}

void Event::set(std::string_view path, Value value) {
  const FieldId field = field_id(path);
  for (auto& [f, v] : fields) {
    if (f == field) {
      v = std::move(value);
      return;
    }
  }
  fields.emplace_back(field, std::move(value));
}

void Event::set_subject(std::string_view learner_id, std::string_view tutor_id, std::string_view session_id,
                        std::string_view course_id, std::string_view source) {
  set("id", Value::of(id));
  set("type", Value::of(type));
  set("day", Value::of(core::format_day(occurred_at)));
  if (!source.empty()) set("source", Value::of(std::string(source)));
  if (!learner_id.empty()) set("learner_id", Value::of(std::string(learner_id)));
  if (!tutor_id.empty()) set("tutor_id", Value::of(std::string(tutor_id)));
  if (!session_id.empty()) set("session_id", Value::of(std::string(session_id)));
  if (!course_id.empty()) set("course_id", Value::of(std::string(course_id)));
}

Id128 Id128::of(std::string_view id) {
  Id128 out;
  int digits = 0;
  for (char c : id) {
    if (c == '-') continue;
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else { digits = -1; break; }
    if (digits < 16) out.hi = (out.hi << 4) | static_cast<std::uint64_t>(v);
    else if (digits < 32) out.lo = (out.lo << 4) | static_cast<std::uint64_t>(v);
    ++digits;
  }
  if (digits != 32) return {fnv1a(id), fnv1a(id, 1099511628211ULL)};
  return out;
}

std::string Id128::str() const {
  static const char* kHex = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t at = 0;
  for (int i = 0; i < 32; ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23) ++at;
    const std::uint64_t word = i < 16 ? hi : lo;
    out[at++] = kHex[(word >> ((15 - i % 16) * 4)) & 0xf];
  }
  return out;
}

std::string action_id(const std::string& tenant, const std::string& rule_id, std::uint32_t version,
                      const std::string& key, const std::string& discriminator, std::size_t index) {
  std::string input = tenant + "\x1f" + rule_id + "\x1f" + std::to_string(version) + "\x1f" + key + "\x1f" +
                      discriminator + "\x1f" + std::to_string(index);
  std::string h = core::sha256_hex(input).substr(0, 32);
  h[12] = '5';                                              // name-based UUID
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

// --- rule set --------------------------------------------------------------------------------------

namespace {
// The `field == "text"` conjunct at the top of a pattern's condition, if any.
std::optional<std::pair<FieldId, std::string>> equality_of(const std::optional<CExpr>& where) {
  if (!where) return std::nullopt;
  std::vector<const CExpr*> stack{&*where};
  while (!stack.empty()) {
    const CExpr* e = stack.back();
    stack.pop_back();
    if (e->kind == CExpr::Kind::kAnd) {
      stack.push_back(&e->kids[1]);
      stack.push_back(&e->kids[0]);
    } else if (e->kind == CExpr::Kind::kCompare && e->op == Op::kEq && e->kids[0].kind == CExpr::Kind::kField &&
               e->kids[1].kind == CExpr::Kind::kConst && e->kids[1].constant.kind == Value::Kind::kString) {
      return std::make_pair(e->kids[0].field, e->kids[1].constant.text);
    }
  }
  return std::nullopt;
}
}  // namespace

RuleSet::RuleSet(std::vector<std::shared_ptr<const CompiledRule>> rules) : rules_(std::move(rules)) {
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    const auto& r = *rules_[i];
    for (const auto& type : r.types) {
      // Indexable when every pattern of this type pins the same field to the same text.
      std::vector<const CPattern*> patterns;
      for_each_pattern(r, [&](const CPattern& p) { patterns.push_back(&p); });
      std::optional<std::pair<FieldId, std::string>> common;
      bool indexable = true;
      for (const auto* p : patterns) {
        if (p->type != type) continue;
        auto eq = equality_of(p->where);
        if (!eq || (common && *common != *eq)) {
          indexable = false;
          break;
        }
        common = eq;
      }
      auto& by_type = by_tenant_[r.tenant][type];
      if (indexable && common) {
        auto it = std::find_if(by_type.indexed.begin(), by_type.indexed.end(),
                               [&](const auto& entry) { return entry.first == common->first; });
        if (it == by_type.indexed.end()) {
          by_type.indexed.emplace_back(common->first, std::unordered_map<std::string, std::vector<std::uint32_t>>{});
          it = std::prev(by_type.indexed.end());
        }
        it->second[common->second].push_back(i);
      } else {
        by_type.always.push_back(i);
      }
    }
  }
}

void RuleSet::candidates(const Event& event, std::vector<std::uint32_t>& out) const {
  out.clear();
  auto tenant = by_tenant_.find(event.tenant);
  if (tenant == by_tenant_.end()) return;
  auto type = tenant->second.find(event.type);
  if (type == tenant->second.end()) return;
  const ByType& t = type->second;
  out.insert(out.end(), t.always.begin(), t.always.end());
  for (const auto& [field, values] : t.indexed) {
    const Value* v = event.get(field);
    if (v == nullptr || v->kind != Value::Kind::kString) continue;
    auto hit = values.find(v->text);
    if (hit != values.end()) out.insert(out.end(), hit->second.begin(), hit->second.end());
  }
  // No duplicates: for one type a rule is either in `always` or under exactly one (field, value).
}

std::vector<std::pair<std::string, std::string>> RuleSet::group_keys(const Event& event) const {
  std::vector<std::uint32_t> indexes;
  candidates(event, indexes);
  std::vector<std::pair<std::string, std::string>> out;
  for (std::uint32_t i : indexes) {
    const CompiledRule& rule = *rules_[i];
    if (rule.by.empty()) continue;
    if (std::any_of(out.begin(), out.end(), [&](const auto& k) { return k.first == rule.by; })) continue;
    const Value* v = event.get(rule.by_field);
    if (v == nullptr || v->is_null()) continue;
    std::string value = v->to_string();
    if (!value.empty()) out.emplace_back(rule.by, std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- engine state ------------------------------------------------------------------------------------

namespace {
struct Entry {
  std::int64_t t;
  double v;
  Id128 id;
};

struct Window {
  std::vector<Entry> e;
  std::uint32_t head = 0;
  bool empty() const { return head >= e.size(); }
  void drop_before(std::int64_t t) {  // entries with time < t
    while (head < e.size() && e[head].t < t) ++head;
    if (head > 0 && (head == e.size() || head * 2 >= e.size())) {
      e.erase(e.begin(), e.begin() + head);
      head = 0;
    }
  }
};

struct AbsenceState {
  std::int64_t deadline = 0;  // 0 = not armed
  Id128 ref;
};

struct Pending {
  std::int64_t t;
  Id128 id;
};

struct Timer {
  std::int64_t due;
  const void* rule;  // the Runtime (same-time timers of different rules fire in any order)
  std::string key;
  std::uint8_t kind;   // 0 absence, 1 "not followed by"
  std::uint16_t index;
  Id128 ref;
  friend auto operator<=>(const Timer&, const Timer&) = default;
};
}  // namespace

struct Engine::KeyState {
  std::vector<Window> wins;
  std::vector<AbsenceState> abs;
  std::vector<std::vector<Pending>> seqs;
  // Per sequence: B events kept while an A they follow could still arrive out of order (B time at or
  // after the watermark), so that the order of arrival does not decide what followed what.
  std::vector<std::vector<Pending>> seconds;
  std::int64_t last_fired = kNever;
  std::int64_t fired_window = kNever;
  bool dirty = false;
};

struct Engine::Runtime {
  std::shared_ptr<const CompiledRule> rule;
  std::string uid;
  std::string once_ns;
  // Open addressing (values inline): one probe per lookup instead of a bucket and a node.
  absl::flat_hash_map<std::string, KeyState> keys;
  std::int64_t next_schedule = 0;
  int tumbling_agg = -1;  // when the condition reads only tumbling windows: fire once per window
};

struct Engine::Partition {
  std::int32_t id = 0;
  std::int64_t max_event = kNever;
  std::int64_t wm = kNever;
  std::unordered_map<std::string, std::unique_ptr<Runtime>> runtimes;
  std::vector<Runtime*> by_index;
  std::vector<Runtime*> scheduled;
  std::set<Timer> timers;
  std::unordered_map<std::string, std::unordered_map<std::string, std::int64_t>> once;  // ns -> marker -> expiry
  std::vector<std::pair<std::string, std::string>> dirty_keys;
  std::vector<std::pair<std::string, std::string>> dirty_once;
  std::vector<StateRow> deletes;
  std::map<std::string, std::vector<StateRow>> orphans;
  std::map<std::string, std::int64_t> schedule_meta;
  // Repartitioned input: source partition -> last accepted (source offset, group path).
  std::map<std::int32_t, std::pair<std::int64_t, std::string>> sources;
  bool meta_dirty = false;
};

namespace {

bool uses_only_tumbling(const CExpr& e, const std::vector<CAggregate>& aggs, int& agg, bool& any_field) {
  if (e.kind == CExpr::Kind::kAgg) {
    if (aggs[static_cast<std::size_t>(e.agg)].window != WindowKind::kTumbling) return false;
    if (agg < 0) agg = e.agg;
    return aggs[static_cast<std::size_t>(e.agg)].window_us == aggs[static_cast<std::size_t>(agg)].window_us;
  }
  if (e.kind == CExpr::Kind::kField) any_field = true;
  for (const auto& k : e.kids) {
    if (!uses_only_tumbling(k, aggs, agg, any_field)) return false;
  }
  return true;
}

void encode_pending(Writer& w, const std::vector<std::vector<Pending>>& lists) {
  w.u32(static_cast<std::uint32_t>(lists.size()));
  for (const auto& s : lists) {
    w.u32(static_cast<std::uint32_t>(s.size()));
    for (const auto& p : s) {
      w.i64(p.t);
      w.u64(p.id.hi);
      w.u64(p.id.lo);
    }
  }
}

std::string encode_key_state(const std::vector<Window>& wins, const std::vector<AbsenceState>& abs,
                             const std::vector<std::vector<Pending>>& seqs,
                             const std::vector<std::vector<Pending>>& seconds, std::int64_t last_fired,
                             std::int64_t fired_window) {
  Writer w;
  w.u32(static_cast<std::uint32_t>(wins.size()));
  for (const auto& win : wins) {
    w.u32(static_cast<std::uint32_t>(win.e.size() - win.head));
    for (std::size_t i = win.head; i < win.e.size(); ++i) {
      w.i64(win.e[i].t);
      w.f64(win.e[i].v);
      w.u64(win.e[i].id.hi);
      w.u64(win.e[i].id.lo);
    }
  }
  w.u32(static_cast<std::uint32_t>(abs.size()));
  for (const auto& a : abs) {
    w.i64(a.deadline);
    w.u64(a.ref.hi);
    w.u64(a.ref.lo);
  }
  encode_pending(w, seqs);
  w.i64(last_fired);
  w.i64(fired_window);
  encode_pending(w, seconds);
  return std::move(w.out);
}

}  // namespace

Engine::Engine(EngineOptions options, const core::Clock& clock)
    : options_(std::move(options)), clock_(clock), rules_(std::make_shared<RuleSet>()) {}

Engine::~Engine() = default;

const TimeZone& Engine::zone_of(const CompiledRule& rule) const {
  static const TimeZone utc;
  if (rule.every && !rule.every->time_zone.empty() && options_.zone) {
    if (const TimeZone* z = options_.zone(rule.every->time_zone)) return *z;
  }
  if (options_.tenant_zone) {
    if (const TimeZone* z = options_.tenant_zone(rule.tenant)) return *z;
  }
  return utc;
}

void Engine::set_rules(std::shared_ptr<const RuleSet> rules) {
  rules_ = std::move(rules);
  for (auto& [id, p] : partitions_) adopt_rules(*p);
}

namespace {
bool decode_pending(Reader& r, std::string_view blob, std::vector<std::vector<Pending>>& lists) {
  lists.resize(r.u32());
  if (!r.ok || lists.size() > blob.size()) return false;
  for (auto& s : lists) {
    const auto n = r.u32();
    if (!r.ok || n > blob.size()) return false;
    s.resize(n);
    for (auto& p : s) {
      p.t = r.i64();
      p.id.hi = r.u64();
      p.id.lo = r.u64();
    }
  }
  return r.ok;
}

bool decode_key_state(std::string_view blob, std::vector<Window>& wins, std::vector<AbsenceState>& abs,
                      std::vector<std::vector<Pending>>& seqs, std::vector<std::vector<Pending>>& seconds,
                      std::int64_t& last_fired, std::int64_t& fired_window) {
  Reader r{blob};
  wins.resize(r.u32());
  for (auto& win : wins) {
    const auto n = r.u32();
    if (!r.ok || n > blob.size()) return false;
    win.e.resize(n);
    for (auto& e : win.e) {
      e.t = r.i64();
      e.v = r.f64();
      e.id.hi = r.u64();
      e.id.lo = r.u64();
    }
  }
  abs.resize(r.u32());
  if (!r.ok || abs.size() > blob.size()) return false;
  for (auto& a : abs) {
    a.deadline = r.i64();
    a.ref.hi = r.u64();
    a.ref.lo = r.u64();
  }
  if (!decode_pending(r, blob, seqs)) return false;
  last_fired = r.i64();
  fired_window = r.i64();
  if (!r.ok) return false;
  seconds.clear();
  return r.at == blob.size() || decode_pending(r, blob, seconds);  // older rows end before `seconds`
}
}  // namespace

void Engine::adopt_rules(Partition& p) {
  const auto& rules = rules_->rules();
  std::unordered_map<std::string, std::unique_ptr<Runtime>> next;
  p.by_index.assign(rules.size(), nullptr);
  p.scheduled.clear();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    const std::string uid = rule->uid();
    std::unique_ptr<Runtime> rt;
    if (auto it = p.runtimes.find(uid); it != p.runtimes.end()) {
      rt = std::move(it->second);
      p.runtimes.erase(it);
      rt->rule = rule;
    } else {
      rt = std::make_unique<Runtime>();
      rt->rule = rule;
      rt->uid = uid;
      rt->once_ns = "once:" + rule->tenant + "/" + rule->id;
      if (rule->when) {
        int agg = -1;
        bool any_field = false;
        if (uses_only_tumbling(*rule->when, rule->aggs, agg, any_field) && agg >= 0) rt->tumbling_agg = agg;
      }
      if (auto sm = p.schedule_meta.find(uid); sm != p.schedule_meta.end()) rt->next_schedule = sm->second;
      if (auto orphan = p.orphans.find(uid); orphan != p.orphans.end()) {
        for (const auto& row : orphan->second) {
          KeyState ks;
          if (!decode_key_state(row.blob, ks.wins, ks.abs, ks.seqs, ks.seconds, ks.last_fired, ks.fired_window)) continue;
          ks.wins.resize(rule->aggs.size());
          ks.abs.resize(rule->absences.size());
          ks.seqs.resize(rule->sequences.size());
          ks.seconds.resize(rule->sequences.size());
          for (std::size_t a = 0; a < ks.abs.size(); ++a) {
            if (ks.abs[a].deadline != 0) {
              p.timers.insert({ks.abs[a].deadline, rt.get(), row.key, 0, static_cast<std::uint16_t>(a), ks.abs[a].ref});
            }
          }
          for (std::size_t s = 0; s < ks.seqs.size(); ++s) {
            if (!rule->sequences[s].not_followed) continue;
            for (const auto& pending : ks.seqs[s]) {
              p.timers.insert({pending.t + rule->sequences[s].within_us, rt.get(), row.key, 1,
                               static_cast<std::uint16_t>(s), pending.id});
            }
          }
          rt->keys.emplace(row.key, std::move(ks));
        }
        p.orphans.erase(orphan);
      }
    }
    p.by_index[i] = rt.get();
    if (rule->every) p.scheduled.push_back(rt.get());
    next.emplace(uid, std::move(rt));
  }
  // Versions no longer in the set: their state goes (deleted at the next checkpoint).
  for (auto& [uid, rt] : p.runtimes) {
    for (const auto& [key, ks] : rt->keys) p.deletes.push_back({uid, key, {}, true});
    for (auto it = p.timers.begin(); it != p.timers.end();) {
      it = it->rule == rt.get() ? p.timers.erase(it) : std::next(it);
    }
    p.schedule_meta.erase(uid);
    p.meta_dirty = true;
  }
  p.runtimes = std::move(next);
}

void Engine::open_partition(std::int32_t partition) {
  if (partitions_.contains(partition)) return;
  auto p = std::make_unique<Partition>();
  p->id = partition;
  adopt_rules(*p);
  partitions_.emplace(partition, std::move(p));
}

void Engine::restore_partition(std::int32_t partition, const PartitionSnapshot& snapshot) {
  partitions_.erase(partition);
  auto p = std::make_unique<Partition>();
  p->id = partition;
  if (!snapshot.meta.empty()) {
    Reader r{snapshot.meta};
    p->wm = r.i64();
    p->max_event = r.i64();
    const auto n = r.u32();
    for (std::uint32_t i = 0; i < n && r.ok; ++i) {
      std::string uid = r.str();
      const auto next = r.i64();
      if (r.ok) p->schedule_meta[uid] = next;
    }
    // Checkpoints written before repartitioning end here (nothing to read: no sources).
    const auto sources = r.u32();
    for (std::uint32_t i = 0; i < sources && r.ok; ++i) {
      const auto source = static_cast<std::int32_t>(r.i64());
      const auto offset = r.i64();
      std::string group = r.str();
      if (r.ok) p->sources[source] = {offset, std::move(group)};
    }
  }
  for (const auto& row : snapshot.rows) {
    if (row.rule.starts_with("once:")) {
      Reader r{row.blob};
      const auto expiry = r.i64();
      p->once[row.rule][row.key] = r.ok ? expiry : kForever;
    } else {
      p->orphans[row.rule].push_back(row);
    }
  }
  adopt_rules(*p);
  partitions_.emplace(partition, std::move(p));
}

void Engine::close_partition(std::int32_t partition) { partitions_.erase(partition); }
bool Engine::has_partition(std::int32_t partition) const { return partitions_.contains(partition); }

std::vector<std::int32_t> Engine::partitions() const {
  std::vector<std::int32_t> out;
  for (const auto& [id, p] : partitions_) out.push_back(id);
  return out;
}

Engine::Partition& Engine::part(std::int32_t partition) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) {
    open_partition(partition);
    it = partitions_.find(partition);
  }
  return *it->second;
}

core::Timestamp Engine::watermark(std::int32_t partition) const {
  auto it = partitions_.find(partition);
  return ts(it == partitions_.end() ? kNever : it->second->wm);
}

Engine::KeyState& Engine::key_state(Partition& p, Runtime& rt, const std::string& key) {
  auto [it, inserted] = rt.keys.try_emplace(key);
  if (inserted) {
    it->second.wins.resize(rt.rule->aggs.size());
    it->second.abs.resize(rt.rule->absences.size());
    it->second.seqs.resize(rt.rule->sequences.size());
    it->second.seconds.resize(rt.rule->sequences.size());
  }
  (void)p;
  return it->second;
}

void Engine::mark(Partition& p, Runtime& rt, const std::string& key, KeyState& ks) {
  if (ks.dirty) return;
  ks.dirty = true;
  p.dirty_keys.emplace_back(rt.uid, key);
}

// --- evaluation --------------------------------------------------------------------------------------

namespace {
struct Ctx {
  const Event* event = nullptr;
  std::string_view key;
  FieldId by_field = 0;
  bool has_by = false;
  std::int64_t at = 0;
  const CompiledRule* rule = nullptr;
  const std::vector<Window>* wins = nullptr;
  std::array<std::optional<std::optional<double>>, 16> cache{};
};

std::optional<double> aggregate_value(const CAggregate& agg, const Window* win, std::int64_t at) {
  double count = 0, sum = 0, mn = 0, mx = 0;
  double st = 0, sv = 0, stt = 0, stv = 0;
  std::vector<std::uint64_t> distinct;
  if (win != nullptr) {
    const std::int64_t from = agg.window == WindowKind::kSliding ? at - agg.window_us + 1 : floor_to(at, agg.window_us);
    for (std::size_t i = win->head; i < win->e.size(); ++i) {
      const auto& e = win->e[i];
      if (e.t < from) continue;
      if (e.t > at) break;
      if (count == 0) {
        mn = mx = e.v;
      } else {
        mn = std::min(mn, e.v);
        mx = std::max(mx, e.v);
      }
      count += 1;
      sum += e.v;
      if (agg.fn == AggFn::kTrend) {
        const double x = static_cast<double>(e.t - from) / 86'400'000'000.0;  // days into the window
        st += x;
        sv += e.v;
        stt += x * x;
        stv += x * e.v;
      } else if (agg.fn == AggFn::kDistinct) {
        std::uint64_t bits;
        std::memcpy(&bits, &e.v, 8);
        distinct.push_back(bits);
      }
    }
  }
  switch (agg.fn) {
    case AggFn::kCount: return count;
    case AggFn::kSum: return sum;
    case AggFn::kAvg: return count > 0 ? std::optional<double>(sum / count) : std::nullopt;
    case AggFn::kMin: return count > 0 ? std::optional<double>(mn) : std::nullopt;
    case AggFn::kMax: return count > 0 ? std::optional<double>(mx) : std::nullopt;
    case AggFn::kDistinct: {
      std::sort(distinct.begin(), distinct.end());
      return static_cast<double>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
    }
    case AggFn::kTrend: {
      if (count < 2) return std::nullopt;
      const double denominator = count * stt - st * st;
      if (std::fabs(denominator) < 1e-12) return std::nullopt;
      return (count * stv - st * sv) / denominator;  // change per day
    }
  }
  return std::nullopt;
}

std::optional<double> agg_at(Ctx& ctx, int index) {
  auto& slot = ctx.cache[static_cast<std::size_t>(index) % ctx.cache.size()];
  if (static_cast<std::size_t>(index) < ctx.cache.size() && slot) return *slot;
  const auto& agg = ctx.rule->aggs[static_cast<std::size_t>(index)];
  const Window* win = ctx.wins != nullptr ? &(*ctx.wins)[static_cast<std::size_t>(index)] : nullptr;
  auto v = aggregate_value(agg, win, ctx.at);
  if (static_cast<std::size_t>(index) < ctx.cache.size()) slot = v;
  return v;
}

V eval(const CExpr& e, Ctx& ctx) {
  switch (e.kind) {
    case CExpr::Kind::kConst: return view(e.constant);
    case CExpr::Kind::kField: {
      if (ctx.event != nullptr) {
        if (const Value* v = ctx.event->get(e.field)) return view(*v);
      }
      if (ctx.has_by && e.field == ctx.by_field) return V{Value::Kind::kString, false, 0, ctx.key};
      if (ctx.event == nullptr) return {};
      switch (e.field_kind) {  // proto3: an unset field reads as its default
        case ValueKind::kNumber: return number(0);
        case ValueKind::kString: return V{Value::Kind::kString, false, 0, {}};
        case ValueKind::kBool: return boolean(false);
        default: return {};
      }
    }
    case CExpr::Kind::kAgg: {
      auto v = agg_at(ctx, e.agg);
      return v ? number(*v) : V{};
    }
    case CExpr::Kind::kNeg: {
      V v = eval(e.kids[0], ctx);
      return v.kind == Value::Kind::kNumber ? number(-v.n) : V{};
    }
    case CExpr::Kind::kNot: {
      V v = eval(e.kids[0], ctx);
      return v.kind == Value::Kind::kBool ? boolean(!v.b) : V{};
    }
    case CExpr::Kind::kArith: {
      V l = eval(e.kids[0], ctx);
      V r = eval(e.kids[1], ctx);
      if (l.kind != Value::Kind::kNumber || r.kind != Value::Kind::kNumber) return {};
      switch (e.op) {
        case Op::kAdd: return number(l.n + r.n);
        case Op::kSub: return number(l.n - r.n);
        case Op::kMul: return number(l.n * r.n);
        default: return r.n == 0 ? V{} : number(l.n / r.n);
      }
    }
    case CExpr::Kind::kCompare: return boolean(compare(eval(e.kids[0], ctx), eval(e.kids[1], ctx), e.op));
    case CExpr::Kind::kAnd: return boolean(truthy(eval(e.kids[0], ctx)) && truthy(eval(e.kids[1], ctx)));
    case CExpr::Kind::kOr: return boolean(truthy(eval(e.kids[0], ctx)) || truthy(eval(e.kids[1], ctx)));
    case CExpr::Kind::kIn: {
      V v = eval(e.kids[0], ctx);
      if (v.kind == Value::Kind::kNull) return boolean(false);
      bool found = false;
      for (const auto& item : e.set) {
        if (equal(v, view(item))) {
          found = true;
          break;
        }
      }
      return boolean(found != e.negated);
    }
    case CExpr::Kind::kMatches: {
      V v = eval(e.kids[0], ctx);
      if (v.kind != Value::Kind::kString || !e.regex) return boolean(false);
      return boolean(std::regex_search(v.s.begin(), v.s.end(), *e.regex));
    }
    case CExpr::Kind::kExists: {
      if (ctx.event == nullptr) return boolean(ctx.has_by && e.kids[0].field == ctx.by_field);
      const Value* v = ctx.event->get(e.kids[0].field);
      return boolean(v != nullptr && !v->is_null());
    }
  }
  return {};
}

bool matches(const CPattern& p, const Event& event) {
  if (p.type != event.type) return false;
  if (!p.where) return true;
  Ctx ctx;
  ctx.event = &event;
  return truthy(eval(*p.where, ctx));
}

std::string value_text(const V& v) {
  switch (v.kind) {
    case Value::Kind::kNumber: return format_number(v.n);
    case Value::Kind::kString: return std::string(v.s);
    case Value::Kind::kBool: return v.b ? "true" : "false";
    default: return {};
  }
}

std::string value_json(const V& v) {
  switch (v.kind) {
    case Value::Kind::kNumber: return std::isfinite(v.n) ? format_number(v.n) : "null";
    case Value::Kind::kString: return "\"" + json_escape(v.s) + "\"";
    case Value::Kind::kBool: return v.b ? "true" : "false";
    default: return "null";
  }
}

void insert_sorted(Window& w, const Entry& entry, std::size_t cap, std::uint64_t& dropped) {
  auto it = w.e.end();
  while (it != w.e.begin() + w.head && std::prev(it)->t > entry.t) --it;
  w.e.insert(it, entry);
  if (w.e.size() - w.head > cap) {
    ++w.head;
    ++dropped;
  }
}

}  // namespace

bool Engine::fire(Partition& p, Runtime& rt, const std::string& key, KeyState* ks, const Event* event,
                  std::int64_t at, const std::string& discriminator, std::vector<std::string> extra_ids,
                  const std::string& why, std::vector<Action>& out) {
  const CompiledRule& rule = *rt.rule;
  std::string disc = discriminator;
  std::uint32_t id_version = rule.version;
  std::string id_key = key;
  if (!rule.once_path.empty()) {
    std::string marker = key;
    if (rule.once_path != rule.by && event != nullptr) {
      const Value* v = event->get(rule.once_field);
      marker = v != nullptr ? v->to_string() : "";
    }
    std::int64_t expiry = kForever;
    if (rule.once_per_us > 0) {
      const std::int64_t start = floor_to(at, rule.once_per_us);
      marker += "@" + std::to_string(start);
      expiry = start + rule.once_per_us;
    }
    auto& markers = p.once[rt.once_ns];
    if (markers.contains(marker)) {
      ++stats_.suppressed;
      return false;
    }
    markers.emplace(marker, expiry);
    p.dirty_once.emplace_back(rt.once_ns, marker);
    // The same marker yields the same action in every partition and every version of the rule.
    disc = "once:" + marker;
    id_version = 0;
    id_key = marker;
  }
  if (rule.cooldown_us > 0 && ks != nullptr && ks->last_fired != kNever && at < ks->last_fired + rule.cooldown_us) {
    ++stats_.suppressed;
    return false;
  }
  if (ks != nullptr) {
    ks->last_fired = at;
    mark(p, rt, key, *ks);
  }

  Ctx ctx;
  ctx.event = event;
  ctx.key = key;
  ctx.by_field = rule.by_field;
  ctx.has_by = !rule.by.empty();
  ctx.at = at;
  ctx.rule = &rule;
  ctx.wins = ks != nullptr ? &ks->wins : nullptr;

  Action base;
  base.tenant = rule.tenant;
  base.rule_id = rule.id;
  base.rule_version = rule.version;
  base.key = key;
  base.fired_at = ts(at);
  base.explanation = why;
  if (event != nullptr) {
    base.trace_id = event->trace_id;
    base.event_ids.push_back(event->id);
  }
  for (auto& id : extra_ids) {
    if (std::find(base.event_ids.begin(), base.event_ids.end(), id) == base.event_ids.end()) {
      base.event_ids.push_back(std::move(id));
    }
  }
  for (std::size_t i = 0; i < rule.aggs.size(); ++i) {
    if (auto v = agg_at(ctx, static_cast<int>(i))) base.values.emplace_back(rule.aggs[i].text, *v);
    if (ks == nullptr) continue;
    // The most recent events inside the window, newest first.
    const auto& win = ks->wins[i];
    const auto& agg = rule.aggs[i];
    const std::int64_t from = agg.window == WindowKind::kSliding ? at - agg.window_us + 1 : floor_to(at, agg.window_us);
    for (std::size_t j = win.e.size(); j > win.head && base.event_ids.size() < kMaxEvidenceIds; --j) {
      const auto& e = win.e[j - 1];
      if (e.t > at) continue;
      if (e.t < from) break;
      std::string id = e.id.str();
      if (std::find(base.event_ids.begin(), base.event_ids.end(), id) == base.event_ids.end()) {
        base.event_ids.push_back(std::move(id));
      }
    }
  }
  if (event != nullptr && rule.when) {
    // The event's own numbers the condition looked at.
    std::vector<const CExpr*> stack{&*rule.when};
    while (!stack.empty()) {
      const CExpr* e = stack.back();
      stack.pop_back();
      if (e->kind == CExpr::Kind::kField) {
        V v = eval(*e, ctx);
        if (v.kind == Value::Kind::kNumber) base.values.emplace_back(field_path(e->field), v.n);
      }
      for (const auto& k : e->kids) stack.push_back(&k);
    }
  }

  for (std::size_t i = 0; i < rule.actions.size(); ++i) {
    const CAction& a = rule.actions[i];
    Action action = base;
    action.id = action_id(rule.tenant, rule.id, id_version, id_key, disc, i);
    action.kind = a.kind;
    auto arg = [&](std::size_t n) { return n < a.args.size() ? value_text(eval(a.args[n], ctx)) : std::string(); };
    std::string fields_json;
    if (!a.fields.empty()) {
      fields_json = "{";
      for (std::size_t f = 0; f < a.fields.size(); ++f) {
        V v = eval(a.fields[f].second, ctx);
        fields_json += (f ? "," : "") + std::string("\"") + json_escape(a.fields[f].first) + "\":" + value_json(v);
        action.variables.emplace_back(a.fields[f].first, value_text(v));
      }
      fields_json += "}";
    }
    const V learner = [&] {
      Ctx c2 = ctx;
      CExpr f;
      f.kind = CExpr::Kind::kField;
      static const FieldId kLearner = field_id("learner_id");
      f.field = kLearner;
      f.field_kind = ValueKind::kAny;
      return eval(f, c2);
    }();
    switch (a.kind) {
      case ActionKind::kNotify:
        action.target = arg(0);
        action.detail = arg(1);
        action.channels = a.channels;
        break;
      case ActionKind::kAwardBadge:
        action.target = arg(0);
        action.subject_id = value_text(learner);
        action.variables.clear();
        break;
      case ActionKind::kRaiseAlert:
        action.target = arg(0);
        action.detail = arg(1);
        action.body_json = (rule.title.empty() ? rule.id : rule.title) + ": " + why;
        break;
      case ActionKind::kRequestInsight:
        action.target = arg(0);
        action.subject_id = key.empty() ? value_text(learner) : key;
        break;
      case ActionKind::kEmit:
        action.target = arg(0);
        action.body_json = fields_json.empty() ? "{}" : fields_json;
        break;
      case ActionKind::kWebhook: {
        action.target = arg(0);
        if (fields_json.empty()) {
          fields_json = "{\"rule\":\"" + json_escape(rule.id) + "\",\"key\":\"" + json_escape(key) +
                        "\",\"explanation\":\"" + json_escape(why) + "\"}";
        }
        action.body_json = fields_json;
        action.variables.clear();
        break;
      }
    }
    out.push_back(std::move(action));
    ++stats_.actions;
  }
  return true;
}

void Engine::on_event(Partition& p, Runtime& rt, const Event& event, const Id128& id, bool late,
                      std::vector<Action>& out) {
  const CompiledRule& rule = *rt.rule;
  static const std::string kNoKey;
  std::string key_storage;
  const std::string* key_ref = &kNoKey;
  if (!rule.by.empty()) {
    const Value* v = event.get(rule.by_field);
    if (v == nullptr || v->is_null()) return;  // not about any key of this rule
    if (v->kind == Value::Kind::kString) {
      key_ref = &v->text;
    } else {
      key_storage = v->to_string();
      key_ref = &key_storage;
    }
    if (key_ref->empty()) return;
  }
  const std::string& key = *key_ref;
  const std::int64_t t = us(event.occurred_at);
  KeyState* ks = nullptr;
  auto state = [&]() -> KeyState& {
    if (ks == nullptr) ks = &key_state(p, rt, key);
    return *ks;
  };

  if (!late) {
    for (std::size_t i = 0; i < rule.aggs.size(); ++i) {
      const auto& agg = rule.aggs[i];
      if (!matches(agg.pattern, event)) continue;
      double v = 0;
      if (agg.has_value) {
        const Value* fv = event.get(agg.value);
        if (agg.value_is_text || (fv != nullptr && fv->kind == Value::Kind::kString)) {
          const std::uint64_t h = fnv1a(fv != nullptr ? fv->to_string() : "");
          std::memcpy(&v, &h, 8);
        } else if (fv != nullptr && fv->kind == Value::Kind::kNumber) {
          v = fv->number;
        } else if (fv != nullptr && fv->kind == Value::Kind::kBool) {
          v = fv->boolean ? 1 : 0;
        } else if (fv == nullptr && agg.pattern.type != "xapi.statement") {
          v = 0;  // proto3 default
        } else {
          continue;  // a free-form path this statement does not have
        }
      }
      auto& win = state().wins[i];
      const std::int64_t keep_from = agg.window == WindowKind::kSliding
                                         ? (p.wm == kNever ? kNever : p.wm - agg.window_us)
                                         : (p.wm == kNever ? kNever : floor_to(p.wm, agg.window_us));
      if (keep_from != kNever) win.drop_before(keep_from);
      insert_sorted(win, {t, v, id}, options_.max_window_entries, stats_.dropped_entries);
      mark(p, rt, key, *ks);
    }
    for (std::size_t i = 0; i < rule.absences.size(); ++i) {
      const auto& ab = rule.absences[i];
      const bool is_missing = matches(ab.missing, event);
      const bool is_after = ab.after && matches(*ab.after, event);
      if (!is_missing && !is_after) continue;
      auto& a = state().abs[i];
      auto disarm = [&] {
        if (a.deadline != 0) p.timers.erase({a.deadline, &rt, key, 0, static_cast<std::uint16_t>(i), a.ref});
        a.deadline = 0;
      };
      // Out of order (within the lateness): an X older than what armed the timer does not end the
      // wait, and an older X (or Y) does not move the deadline earlier.
      if (is_missing && a.deadline != 0 && t >= a.deadline - ab.within_us) {
        if (a.deadline <= t) {  // the gap was already longer than allowed: it is an absence
          const std::string why = "no " + ab.missing.text + " for " + render_duration(ab.within_us) +
                                  (ab.after ? " after " + ab.after->text : "");
          fire(p, rt, key, ks, nullptr, a.deadline, "absent" + std::to_string(i) + ":" + a.ref.str(), {a.ref.str()},
               why, out);
        }
        disarm();
      }
      if (((is_missing && !ab.after) || is_after) && (a.deadline == 0 || t + ab.within_us > a.deadline)) {
        disarm();
        a.deadline = t + ab.within_us;
        a.ref = id;
        p.timers.insert({a.deadline, &rt, key, 0, static_cast<std::uint16_t>(i), id});
      }
      mark(p, rt, key, *ks);
    }
    for (std::size_t i = 0; i < rule.sequences.size(); ++i) {
      const auto& sq = rule.sequences[i];
      const bool is_first = matches(sq.first, event);
      const bool is_second = matches(sq.second, event);
      if (!is_first && !is_second) continue;
      auto& pending = state().seqs[i];
      auto& seconds = state().seconds[i];
      // A B older than the watermark can no longer follow an A that is still to come (that A would be late).
      if (p.wm != kNever) std::erase_if(seconds, [&](const Pending& b) { return b.t < p.wm; });
      const std::string why = sq.first.text + (sq.not_followed ? " not followed by " : " then ") + sq.second.text +
                              " within " + render_duration(sq.within_us);
      bool used = false;  // a B that completed an `A then B` is not kept for a later A
      if (is_second) {
        if (!sq.not_followed) {
          auto it = std::find_if(pending.begin(), pending.end(),
                                 [&](const Pending& a) { return a.t <= t && t - a.t <= sq.within_us; });
          if (it != pending.end()) {
            const std::string first_id = it->id.str();
            pending.erase(it);
            used = true;
            fire(p, rt, key, ks, &event, t, "seq" + std::to_string(i) + ":" + first_id + ":" + event.id, {first_id},
                 why, out);
          }
        } else {
          // B cancels every A at or before it (a B before its A does not); an A whose deadline passed
          // before B fires now (B came too late).
          for (auto it = pending.begin(); it != pending.end();) {
            const std::int64_t due = it->t + sq.within_us;
            if (it->t <= t) {
              p.timers.erase({due, &rt, key, 1, static_cast<std::uint16_t>(i), it->id});
              if (due < t) {
                const std::string first_id = it->id.str();
                fire(p, rt, key, ks, nullptr, due, "nfb" + std::to_string(i) + ":" + first_id, {first_id}, why, out);
              }
              it = pending.erase(it);
            } else {
              ++it;
            }
          }
        }
        if (!used && seconds.size() < kMaxPending) seconds.push_back({t, id});
      }
      if (is_first) {
        // A B that arrived before this A (out of order) but happened at or after it, within D.
        auto b = std::find_if(seconds.begin(), seconds.end(), [&](const Pending& x) {
          return x.id != id && x.t >= t && x.t - t <= sq.within_us;
        });
        if (b != seconds.end()) {
          if (!sq.not_followed) {
            const std::string first_id = id.str();
            const std::string second_id = b->id.str();
            const std::int64_t second_t = b->t;
            seconds.erase(b);
            fire(p, rt, key, ks, nullptr, second_t, "seq" + std::to_string(i) + ":" + first_id + ":" + second_id,
                 {second_id, first_id}, why, out);
          }
          // not followed by: this A was followed, nothing to wait for
        } else if (pending.size() < kMaxPending) {
          pending.push_back({t, id});
          if (sq.not_followed) p.timers.insert({t + sq.within_us, &rt, key, 1, static_cast<std::uint16_t>(i), id});
        }
      }
      if (!sq.not_followed && p.wm != kNever) {
        std::erase_if(pending, [&](const Pending& a) { return a.t + sq.within_us < p.wm; });
      }
      mark(p, rt, key, *ks);
    }
  } else {
    // A late X still counts for an absence timer that has not fired (its deadline is after the
    // watermark) when it happened after what armed it: with `after`, X came in time (disarm);
    // without, the silence starts again from X.
    for (std::size_t i = 0; i < rule.absences.size(); ++i) {
      const auto& ab = rule.absences[i];
      if (!matches(ab.missing, event)) continue;
      auto it = rt.keys.find(key);
      if (it == rt.keys.end()) continue;
      auto& a = it->second.abs[i];
      if (a.deadline == 0 || a.deadline <= p.wm || t < a.deadline - ab.within_us) continue;
      p.timers.erase({a.deadline, &rt, key, 0, static_cast<std::uint16_t>(i), a.ref});
      a.deadline = 0;
      if (!ab.after) {
        a.deadline = t + ab.within_us;
        a.ref = id;
        p.timers.insert({a.deadline, &rt, key, 0, static_cast<std::uint16_t>(i), id});
      }
      mark(p, rt, key, it->second);
    }
    // A late B still cancels the As it follows whose "not followed by" deadline has not passed the
    // watermark yet (their timers have not fired): it did follow them in event time.
    for (std::size_t i = 0; i < rule.sequences.size(); ++i) {
      const auto& sq = rule.sequences[i];
      if (!sq.not_followed || !matches(sq.second, event)) continue;
      auto it = rt.keys.find(key);
      if (it == rt.keys.end()) continue;
      KeyState& late_ks = it->second;
      auto& pending = late_ks.seqs[i];
      const auto before = pending.size();
      std::erase_if(pending, [&](const Pending& a) {
        if (a.t > t) return false;
        p.timers.erase({a.t + sq.within_us, &rt, key, 1, static_cast<std::uint16_t>(i), a.id});
        return true;
      });
      if (pending.size() != before) mark(p, rt, key, late_ks);
    }
  }

  if (rule.every) return;  // scheduled rules fire at their times, not on events
  bool triggered = false;
  for (const auto& pattern : rule.on) {
    if (matches(pattern, event)) {
      triggered = true;
      break;
    }
  }
  if (!triggered) return;
  if (late && !rule.aggs.empty()) return;  // its windows no longer take it

  Ctx ctx;
  ctx.event = &event;
  ctx.key = key;
  ctx.by_field = rule.by_field;
  ctx.has_by = !rule.by.empty();
  ctx.at = t;
  ctx.rule = &rule;
  if (ks == nullptr && !rule.by.empty()) {
    auto it = rt.keys.find(key);
    if (it != rt.keys.end()) ks = &it->second;
  }
  ctx.wins = ks != nullptr ? &ks->wins : nullptr;
  if (rule.when && !truthy(eval(*rule.when, ctx))) return;

  std::string disc = "event:" + event.id;
  if (rt.tumbling_agg >= 0) {
    const std::int64_t start = floor_to(t, rule.aggs[static_cast<std::size_t>(rt.tumbling_agg)].window_us);
    if (ks != nullptr && ks->fired_window == start) {
      ++stats_.suppressed;
      return;
    }
    disc = "window:" + std::to_string(start);
    if (ks != nullptr) ks->fired_window = start;
  }
  const bool needs_state = rule.cooldown_us > 0 && !rule.by.empty();
  if (needs_state && ks == nullptr) ks = &key_state(p, rt, key);
  std::string why = rule.when_text.empty() ? "on " + rule.on.front().text : rule.when_text;
  if (!rule.by.empty()) why += " (" + rule.by + " " + key + ")";
  fire(p, rt, key, ks, &event, t, disc, {}, why, out);
}

void Engine::run_schedule(Partition& p, Runtime& rt, std::int64_t at, std::vector<Action>& out) {
  const CompiledRule& rule = *rt.rule;
  const std::string why = "scheduled " + std::string(rule.every->kind == Schedule::Kind::kHourly ? "every hour"
                                                      : rule.every->kind == Schedule::Kind::kDaily ? "every day"
                                                                                                   : "every week") +
                          (rule.when_text.empty() ? "" : ": " + rule.when_text);
  const std::string disc = "at:" + std::to_string(at);
  if (rule.by.empty()) {
    const auto home = static_cast<std::int32_t>(fnv1a(rule.tenant) % static_cast<std::uint64_t>(std::max(1, options_.partitions)));
    if (home != p.id) return;
    Ctx ctx;
    ctx.at = at;
    ctx.rule = &rule;
    if (rule.when && !truthy(eval(*rule.when, ctx))) return;
    fire(p, rt, "", nullptr, nullptr, at, disc, {}, why, out);
    return;
  }
  std::vector<std::string> keys;
  keys.reserve(rt.keys.size());
  for (const auto& [key, ks] : rt.keys) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const auto& key : keys) {
    KeyState& ks = rt.keys.at(key);
    Ctx ctx;
    ctx.key = key;
    ctx.by_field = rule.by_field;
    ctx.has_by = true;
    ctx.at = at;
    ctx.rule = &rule;
    ctx.wins = &ks.wins;
    if (rule.when && !truthy(eval(*rule.when, ctx))) continue;
    fire(p, rt, key, &ks, nullptr, at, disc, {}, why + " (" + rule.by + " " + key + ")", out);
  }
}

void Engine::fire_due(Partition& p, std::vector<Action>& out) {
  while (!p.timers.empty() && p.timers.begin()->due <= p.wm) {
    const Timer timer = *p.timers.begin();
    p.timers.erase(p.timers.begin());
    Runtime& rt = *static_cast<Runtime*>(const_cast<void*>(timer.rule));
    auto ks_it = rt.keys.find(timer.key);
    if (ks_it == rt.keys.end()) continue;
    KeyState& ks = ks_it->second;
    const CompiledRule& rule = *rt.rule;
    if (timer.kind == 0 && timer.index < ks.abs.size()) {
      auto& a = ks.abs[timer.index];
      if (a.deadline != timer.due || a.ref != timer.ref) continue;
      a.deadline = 0;
      const auto& ab = rule.absences[timer.index];
      const std::string why = "no " + ab.missing.text + " for " + render_duration(ab.within_us) +
                              (ab.after ? " after " + ab.after->text : "") +
                              (rule.by.empty() ? "" : " (" + rule.by + " " + timer.key + ")");
      mark(p, rt, timer.key, ks);
      fire(p, rt, timer.key, &ks, nullptr, timer.due,
           "absent" + std::to_string(timer.index) + ":" + timer.ref.str(), {timer.ref.str()}, why, out);
    } else if (timer.kind == 1 && timer.index < ks.seqs.size()) {
      auto& pending = ks.seqs[timer.index];
      auto it = std::find_if(pending.begin(), pending.end(), [&](const Pending& a) { return a.id == timer.ref; });
      if (it == pending.end()) continue;
      pending.erase(it);
      const auto& sq = rule.sequences[timer.index];
      const std::string why = sq.first.text + " not followed by " + sq.second.text + " within " +
                              render_duration(sq.within_us) +
                              (rule.by.empty() ? "" : " (" + rule.by + " " + timer.key + ")");
      mark(p, rt, timer.key, ks);
      fire(p, rt, timer.key, &ks, nullptr, timer.due, "nfb" + std::to_string(timer.index) + ":" + timer.ref.str(),
           {timer.ref.str()}, why, out);
    }
  }
  for (Runtime* rt : p.scheduled) {
    const auto& s = *rt->rule->every;
    const TimeZone& zone = zone_of(*rt->rule);
    if (rt->next_schedule == 0) {
      rt->next_schedule = next_trigger_us(s.kind, s.weekday, s.hour, s.minute, zone, p.wm);
      p.schedule_meta[rt->uid] = rt->next_schedule;
      p.meta_dirty = true;
    }
    for (int guard = 0; guard < 1000 && rt->next_schedule <= p.wm; ++guard) {
      run_schedule(p, *rt, rt->next_schedule, out);
      rt->next_schedule = next_trigger_us(s.kind, s.weekday, s.hour, s.minute, zone, rt->next_schedule);
      p.schedule_meta[rt->uid] = rt->next_schedule;
      p.meta_dirty = true;
    }
  }
}

bool Engine::accept_source(std::int32_t partition, std::int32_t source_partition, std::int64_t source_offset,
                           std::string_view group) {
  Partition& p = part(partition);
  auto [it, inserted] = p.sources.try_emplace(source_partition, source_offset, std::string(group));
  if (!inserted) {
    auto& last = it->second;
    if (source_offset < last.first || (source_offset == last.first && group <= last.second)) return false;
    last = {source_offset, std::string(group)};
  }
  p.meta_dirty = true;
  return true;
}

void Engine::process(std::int32_t partition, const Event& event, std::vector<Action>& out,
                     std::optional<FieldId> group) {
  Partition& p = part(partition);
  ++stats_.events;
  const std::int64_t t = us(event.occurred_at);
  if (t > p.max_event) {
    p.max_event = t;
    p.meta_dirty = true;
  }
  const std::int64_t candidate = std::min(p.max_event, us(clock_.now())) - options_.allowed_lateness_us;
  if (candidate > p.wm) {
    p.wm = candidate;
    p.meta_dirty = true;
    fire_due(p, out);
  }
  const bool late = p.wm != kNever && t < p.wm;
  if (late) ++stats_.late_events;
  rules_->candidates(event, scratch_);
  if (scratch_.empty()) return;
  const Id128 id = Id128::of(event.id);
  for (std::uint32_t index : scratch_) {
    if (index >= p.by_index.size()) continue;
    Runtime& rt = *p.by_index[index];
    if (group && rt.rule->by_field != *group) continue;  // another group field's record carries it
    on_event(p, rt, event, id, late, out);
  }
}

void Engine::advance(std::int32_t partition, core::Timestamp watermark, std::vector<Action>& out) {
  Partition& p = part(partition);
  const std::int64_t w = us(watermark);
  if (w <= p.wm) return;
  p.wm = w;
  p.meta_dirty = true;
  fire_due(p, out);
}

void Engine::advance_to_clock(std::int32_t partition, std::vector<Action>& out) {
  advance(partition, ts(us(clock_.now()) - options_.allowed_lateness_us), out);
}

bool Engine::dirty(std::int32_t partition) const {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return false;
  const auto& p = *it->second;
  return p.meta_dirty || !p.dirty_keys.empty() || !p.dirty_once.empty() || !p.deletes.empty();
}

PartitionSnapshot Engine::take_checkpoint(std::int32_t partition) {
  PartitionSnapshot snap;
  Partition& p = part(partition);
  Writer meta;
  meta.i64(p.wm);
  meta.i64(p.max_event);
  meta.u32(static_cast<std::uint32_t>(p.schedule_meta.size()));
  for (const auto& [uid, next] : p.schedule_meta) {
    meta.str(uid);
    meta.i64(next);
  }
  meta.u32(static_cast<std::uint32_t>(p.sources.size()));
  for (const auto& [source, last] : p.sources) {
    meta.i64(source);
    meta.i64(last.first);
    meta.str(last.second);
  }
  snap.meta = std::move(meta.out);
  std::set<std::pair<std::string, std::string>> seen;
  for (auto& row : p.deletes) {
    seen.emplace(row.rule, row.key);
    snap.rows.push_back(std::move(row));
  }
  p.deletes.clear();
  for (const auto& [uid, key] : p.dirty_keys) {
    if (!seen.emplace(uid, key).second) continue;
    auto rt = p.runtimes.find(uid);
    if (rt == p.runtimes.end()) continue;
    auto ks = rt->second->keys.find(key);
    if (ks == rt->second->keys.end()) {
      snap.rows.push_back({uid, key, {}, true});
      continue;
    }
    ks->second.dirty = false;
    snap.rows.push_back({uid, key,
                         encode_key_state(ks->second.wins, ks->second.abs, ks->second.seqs, ks->second.seconds, ks->second.last_fired,
                                          ks->second.fired_window),
                         false});
  }
  p.dirty_keys.clear();
  for (const auto& [ns, marker] : p.dirty_once) {
    if (!seen.emplace(ns, marker).second) continue;
    auto markers = p.once.find(ns);
    auto it = markers == p.once.end() ? decltype(markers->second.end()){} : markers->second.find(marker);
    if (markers == p.once.end() || it == markers->second.end()) {
      snap.rows.push_back({ns, marker, {}, true});
    } else {
      Writer w;
      w.i64(it->second);
      snap.rows.push_back({ns, marker, std::move(w.out), false});
    }
  }
  p.dirty_once.clear();
  p.meta_dirty = false;
  return snap;
}

std::size_t Engine::sweep(std::int32_t partition) {
  Partition& p = part(partition);
  if (p.wm == kNever) return 0;
  std::size_t removed = 0;
  for (auto& [uid, rt] : p.runtimes) {
    const CompiledRule& rule = *rt->rule;
    for (auto it = rt->keys.begin(); it != rt->keys.end();) {
      KeyState& ks = it->second;
      bool empty = true;
      for (std::size_t i = 0; i < ks.wins.size(); ++i) {
        const auto& agg = rule.aggs[i];
        const std::size_t before = ks.wins[i].e.size() - ks.wins[i].head;
        ks.wins[i].drop_before(agg.window == WindowKind::kSliding ? p.wm - agg.window_us : floor_to(p.wm, agg.window_us));
        if (ks.wins[i].e.size() - ks.wins[i].head != before && !ks.dirty) {
          ks.dirty = true;
          p.dirty_keys.emplace_back(uid, it->first);
        }
        empty = empty && ks.wins[i].empty();
      }
      for (const auto& a : ks.abs) empty = empty && a.deadline == 0;
      for (std::size_t i = 0; i < ks.seqs.size(); ++i) {
        if (!rule.sequences[i].not_followed) {
          std::erase_if(ks.seqs[i], [&](const Pending& a) { return a.t + rule.sequences[i].within_us < p.wm; });
        }
        std::erase_if(ks.seconds[i], [&](const Pending& b) { return b.t < p.wm; });
        empty = empty && ks.seqs[i].empty() && ks.seconds[i].empty();
      }
      if (rule.cooldown_us > 0 && ks.last_fired != kNever && ks.last_fired + rule.cooldown_us > p.wm) empty = false;
      if (rt->tumbling_agg >= 0 && ks.fired_window != kNever &&
          ks.fired_window + rule.aggs[static_cast<std::size_t>(rt->tumbling_agg)].window_us > p.wm) {
        empty = false;
      }
      if (empty) {
        p.dirty_keys.emplace_back(uid, it->first);
        rt->keys.erase(it++);
        ++removed;
      } else {
        ++it;
      }
    }
  }
  for (auto& [ns, markers] : p.once) {
    for (auto it = markers.begin(); it != markers.end();) {
      if (it->second != kForever && it->second < p.wm) {
        p.dirty_once.emplace_back(ns, it->first);
        it = markers.erase(it);
      } else {
        ++it;
      }
    }
  }
  return removed;
}

EngineStats Engine::stats() const {
  EngineStats s = stats_;
  s.keys = 0;
  s.timers = 0;
  for (const auto& [id, p] : partitions_) {
    for (const auto& [uid, rt] : p->runtimes) s.keys += rt->keys.size();
    s.timers += p->timers.size();
  }
  return s;
}

}  // namespace edfleet::rules
