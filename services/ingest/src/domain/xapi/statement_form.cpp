#include "domain/xapi/statement_form.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "domain/xapi/formats.h"
#include "edfleet/core/hash.h"

namespace edfleet::ingest::xapi {
namespace {

using nlohmann::json;

void normalise_timestamp(json& holder, const char* key) {
  if (!holder.contains(key) || !holder[key].is_string()) return;
  const auto& text = holder[key].get_ref<const std::string&>();
  auto t = parse_timestamp(text, Version::k1_0);
  if (!t) t = parse_timestamp(text, Version::k2_0);
  if (t) holder[key] = format_timestamp(*t);
}

void normalise_actor(json& a) {
  if (!a.is_object()) return;
  if (a.value("objectType", "") == "Agent") a.erase("objectType");
  if (a.contains("mbox") && a["mbox"].is_string()) {
    // The scheme and the domain of an e-mail address are case-insensitive (the local part is not).
    std::string mbox = a["mbox"].get<std::string>();
    if (const auto at = mbox.rfind('@'); at != std::string::npos) {
      mbox = mbox.substr(0, at) + to_lower(mbox.substr(at));
    }
    if (const auto colon = mbox.find(':'); colon != std::string::npos) {
      mbox = to_lower(mbox.substr(0, colon)) + mbox.substr(colon);
    }
    a["mbox"] = mbox;
  }
  if (a.contains("mbox_sha1sum") && a["mbox_sha1sum"].is_string()) a["mbox_sha1sum"] = to_lower(a["mbox_sha1sum"]);
  if (a.contains("member") && a["member"].is_array()) {
    for (auto& m : a["member"]) normalise_actor(m);
    std::sort(a["member"].begin(), a["member"].end(),
              [](const json& x, const json& y) { return x.dump() < y.dump(); });
  }
}

json activity_reference(const json& activity) { return json{{"id", activity.value("id", json())}}; }

// Language tags are case-insensitive (RFC 5646 2.1.1): en-US and en-us are the same key.
void normalise_language_map(json& map) {
  if (!map.is_object()) return;
  json out = json::object();
  for (const auto& [tag, text] : map.items()) out[to_lower(tag)] = text;
  map = std::move(out);
}

// A number compares by value: 1, 1.0 and 1e0 are the same score.
void normalise_number(json& holder, const char* key) {
  if (holder.contains(key) && holder[key].is_number()) holder[key] = holder[key].get<double>();
}

void normalise_statement(json& s);

void normalise_object(json& o) {
  const std::string type = o.value("objectType", "Activity");
  if (type == "Activity") {
    o = activity_reference(o);
  } else if (type == "SubStatement") {
    normalise_statement(o);
  } else if (type == "StatementRef") {
    if (o.contains("id") && o["id"].is_string()) o["id"] = to_lower(o["id"]);
  } else {
    normalise_actor(o);
    o["objectType"] = type;  // required for Agents used as objects: keep it explicit
  }
}

void normalise_statement(json& s) {
  if (s.contains("id") && s["id"].is_string()) s["id"] = to_lower(s["id"]);
  normalise_timestamp(s, "timestamp");
  if (s.contains("actor")) normalise_actor(s["actor"]);
  if (s.contains("verb") && s["verb"].is_object()) s["verb"].erase("display");
  if (s.contains("object") && s["object"].is_object()) normalise_object(s["object"]);
  if (s.contains("result") && s["result"].is_object()) {
    auto& r = s["result"];
    if (r.contains("duration") && r["duration"].is_string()) {
      r["duration"] = duration_comparison_form(r["duration"].get_ref<const std::string&>());
    }
    if (r.contains("score") && r["score"].is_object()) {
      for (const char* key : {"scaled", "raw", "min", "max"}) normalise_number(r["score"], key);
    }
  }
  if (s.contains("attachments") && s["attachments"].is_array()) {
    for (auto& a : s["attachments"]) {
      if (!a.is_object()) continue;
      if (a.contains("sha2") && a["sha2"].is_string()) a["sha2"] = to_lower(a["sha2"]);  // hex digits
      if (a.contains("display")) normalise_language_map(a["display"]);
      if (a.contains("description")) normalise_language_map(a["description"]);
    }
  }
  if (s.contains("context") && s["context"].is_object()) {
    auto& c = s["context"];
    if (c.contains("registration") && c["registration"].is_string()) c["registration"] = to_lower(c["registration"]);
    if (c.contains("language") && c["language"].is_string()) c["language"] = to_lower(c["language"]);
    if (c.contains("instructor")) normalise_actor(c["instructor"]);
    if (c.contains("team")) normalise_actor(c["team"]);
    if (c.contains("statement") && c["statement"].is_object()) normalise_object(c["statement"]);
    if (c.contains("contextActivities") && c["contextActivities"].is_object()) {
      for (auto& [key, value] : c["contextActivities"].items()) {
        json list = json::array();
        if (value.is_array()) {
          for (const auto& a : value) list.push_back(activity_reference(a));
        } else {
          list.push_back(activity_reference(value));
        }
        value = std::move(list);
      }
    }
    for (const char* key : {"contextAgents", "contextGroups"}) {
      if (!c.contains(key) || !c[key].is_array()) continue;
      for (auto& e : c[key]) {
        if (e.contains("agent")) normalise_actor(e["agent"]);
        if (e.contains("group")) normalise_actor(e["group"]);
      }
    }
  }
}

}  // namespace

namespace {

// The members of `statement` the comparison form keeps, copied without the parts normalise_statement
// drops anyway (an Activity object's definition, the verb's display, context activities' definitions):
// copying and then freeing those was a good part of the cost of hashing every stored statement. What
// normalise_statement then does to the pre-reduced parts leaves them as they are.
json comparison_members(const json& statement) {
  json s = json::object();
  auto& members = *s.get_ptr<json::object_t*>();
  for (const auto& [key, value] : statement.get_ref<const json::object_t&>()) {
    if (key == "authority" || key == "stored" || key == "version") continue;
    if (key == "object" && value.is_object() && value.value("objectType", "Activity") == "Activity") {
      members.emplace(key, activity_reference(value));
    } else if (key == "verb" && value.is_object()) {
      json verb = json::object();
      for (const auto& [name, part] : value.get_ref<const json::object_t&>()) {
        if (name != "display") verb.get_ptr<json::object_t*>()->emplace(name, part);
      }
      members.emplace(key, std::move(verb));
    } else if (key == "context" && value.is_object()) {
      json context = json::object();
      for (const auto& [name, part] : value.get_ref<const json::object_t&>()) {
        if (name == "contextActivities" && part.is_object()) {
          json lists = json::object();
          for (const auto& [kind, activities] : part.get_ref<const json::object_t&>()) {
            json list = json::array();
            if (activities.is_array()) {
              for (const auto& a : activities) list.push_back(activity_reference(a));
            } else {
              list.push_back(activity_reference(activities));
            }
            lists.get_ptr<json::object_t*>()->emplace(kind, std::move(list));
          }
          context.get_ptr<json::object_t*>()->emplace(name, std::move(lists));
        } else {
          context.get_ptr<json::object_t*>()->emplace(name, part);
        }
      }
      members.emplace(key, std::move(context));
    } else {
      members.emplace(key, value);
    }
  }
  return s;
}

}  // namespace

json comparison_form(const json& statement) {
  json s;
  if (statement.is_object()) {
    s = comparison_members(statement);
  } else {
    s = statement;
    s.erase("authority");
    s.erase("stored");
    s.erase("version");
  }
  normalise_statement(s);
  return s;
}

namespace {

// The statement itself and, when its object is a SubStatement, that too: both can carry a context and a
// timestamp.
template <typename Json, typename Fn>
void for_statement_and_substatement(Json& statement, Fn&& fn) {
  fn(statement);
  const auto object = statement.find("object");
  if (object != statement.end() && object->is_object() && object->value("objectType", "") == "SubStatement") {
    fn(*object);
  }
}

// The contextActivities object of a statement, when it has one.
template <typename Json>
Json* context_activities_of(Json& statement) {
  const auto context = statement.find("context");
  if (context == statement.end() || !context->is_object()) return nullptr;
  const auto activities = context->find("contextActivities");
  if (activities == context->end() || !activities->is_object()) return nullptr;
  return &*activities;
}

bool has_single_context_activity(const json& statement) {
  const json* activities = context_activities_of(statement);
  if (activities == nullptr) return false;
  return std::any_of(activities->begin(), activities->end(), [](const json& value) { return value.is_object(); });
}

}  // namespace

namespace {

void context_activities_as_arrays(json& statement) {
  for_statement_and_substatement(statement, [](json& s) {
    json* activities = context_activities_of(s);
    if (activities == nullptr) return;
    for (auto& value : *activities) {
      if (value.is_object()) value = json::array({std::move(value)});
    }
  });
}

void timestamps_in_utc(json& statement) {
  for_statement_and_substatement(statement, [](json& s) { normalise_timestamp(s, "timestamp"); });
}

}  // namespace

void normalise_for_storage(json& statement, Version version) {
  if (!statement.is_object()) return;
  context_activities_as_arrays(statement);
  if (version != Version::k2_0) return;
  for_statement_and_substatement(statement, [](json& s) {
    if (!s.contains("timestamp") || !s["timestamp"].is_string()) return;
    if (auto utc = normalised_timestamp(s["timestamp"].get_ref<const std::string&>(), Version::k2_0)) {
      s["timestamp"] = std::move(*utc);
    }
  });
}

bool changed_for_storage(const json& statement, Version version) {
  if (!statement.is_object()) return false;
  if (version == Version::k2_0) return true;  // timestamps are rewritten (a cheap check would cost as much)
  bool changed = false;
  for_statement_and_substatement(statement, [&changed](const json& s) { changed = changed || has_single_context_activity(s); });
  return changed;
}

void normalise_for_answer(json& statement, Version version) {
  if (!statement.is_object()) return;
  context_activities_as_arrays(statement);
  if (version == Version::k2_0) timestamps_in_utc(statement);
}

std::string as_answered(const std::string& statement_text, Version version) {
  // The text is the LRS's own compact serialisation ("key":value, no spaces), so what may need a change
  // shows in it: a context activity written as an object, a timestamp not ending in Z. The same text
  // elsewhere (inside extensions) only costs the parse below.
  bool unchanged = true;
  for (const std::string_view kind : {"\"parent\":{", "\"grouping\":{", "\"category\":{", "\"other\":{"}) {
    unchanged = unchanged && statement_text.find(kind) == std::string::npos;
  }
  if (version == Version::k2_0) {
    constexpr std::string_view kKey = "\"timestamp\":\"";
    for (auto at = statement_text.find(kKey); at != std::string::npos && unchanged; at = statement_text.find(kKey, at + 1)) {
      const auto close = statement_text.find('"', at + kKey.size());
      unchanged = close != std::string::npos && close > at + kKey.size() && statement_text[close - 1] == 'Z';
    }
  }
  if (unchanged) return statement_text;
  json statement = json::parse(statement_text, nullptr, false);
  if (!statement.is_object()) return statement_text;
  normalise_for_answer(statement, version);
  return statement.dump();
}

std::string comparison_hash(const json& statement) {
  // nlohmann::json objects are ordered maps, so dump() is canonical (sorted keys, no spaces). The text is
  // written into a buffer each thread keeps (it is hashed and dropped: no allocation per statement).
  thread_local std::string text;
  text.clear();
  nlohmann::detail::serializer<json> writer(nlohmann::detail::output_adapter<char>(text), ' ');
  writer.dump(comparison_form(statement), /*pretty_print=*/false, /*ensure_ascii=*/false, /*indent_step=*/0);
  return core::sha256_hex(text);
}

std::string actor_key(const json& actor) {
  std::string key;
  if (actor.contains("mbox")) {
    json a = actor;
    normalise_actor(a);
    key = "mbox:" + a["mbox"].get<std::string>();
  } else if (actor.contains("mbox_sha1sum")) {
    key = "mbox_sha1sum:" + to_lower(actor["mbox_sha1sum"].get<std::string>());
  } else if (actor.contains("openid")) {
    key = "openid:" + actor["openid"].get<std::string>();
  } else if (actor.contains("account")) {
    key = "account:" + actor["account"].value("homePage", "") + "#" + actor["account"].value("name", "");
  } else {
    json a = actor;
    normalise_actor(a);
    key = "group:sha256:" + core::sha256_hex(a.value("member", json::array()).dump());
  }
  if (key.size() > 256) key = "sha256:" + core::sha256_hex(key);
  return key;
}

namespace {

json identified(const json& a) {
  json out = json::object();
  if (a.contains("objectType")) out["objectType"] = a["objectType"];
  for (const char* key : {"mbox", "mbox_sha1sum", "openid", "account"}) {
    if (a.contains(key)) out[key] = a[key];
  }
  const bool anonymous = out.size() == (out.contains("objectType") ? 1U : 0U);
  if (anonymous && a.contains("member") && a["member"].is_array()) {
    out["member"] = json::array();
    for (const auto& m : a["member"]) out["member"].push_back(identified(m));
  }
  return out;
}

json activity_ids(const json& a) {
  json out = {{"id", a.value("id", json())}};
  if (a.contains("objectType")) out["objectType"] = a["objectType"];
  return out;
}

void ids_in(json& s) {
  if (s.contains("actor")) s["actor"] = identified(s["actor"]);
  if (s.contains("authority")) s["authority"] = identified(s["authority"]);
  if (s.contains("verb") && s["verb"].is_object()) s["verb"] = json{{"id", s["verb"].value("id", json())}};
  if (s.contains("object") && s["object"].is_object()) {
    auto& o = s["object"];
    const std::string type = o.value("objectType", "Activity");
    if (type == "Activity") o = activity_ids(o);
    else if (type == "Agent" || type == "Group") o = identified(o);
    else if (type == "SubStatement") ids_in(o);
  }
  if (s.contains("context") && s["context"].is_object()) {
    auto& c = s["context"];
    if (c.contains("instructor")) c["instructor"] = identified(c["instructor"]);
    if (c.contains("team")) c["team"] = identified(c["team"]);
    if (c.contains("contextActivities") && c["contextActivities"].is_object()) {
      for (auto& [key, value] : c["contextActivities"].items()) {
        if (value.is_array()) {
          for (auto& a : value) a = activity_ids(a);
        } else {
          value = activity_ids(value);
        }
      }
    }
    for (const auto& [list, member] : {std::pair{"contextAgents", "agent"}, std::pair{"contextGroups", "group"}}) {
      if (!c.contains(list) || !c[list].is_array()) continue;
      for (auto& e : c[list]) {
        if (e.contains(member)) e[member] = identified(e[member]);
      }
    }
  }
}

// Whether the Accept-Language range `range` matches the language tag `tag` (RFC 2616 14.4): equal, or a
// prefix of it followed by "-" ("en" matches "en-US"), case-insensitively. "*" is handled by the caller.
bool range_matches(const std::string& range, const std::string& tag) {
  const std::string r = to_lower(range);
  const std::string t = to_lower(tag);
  return t == r || (t.size() > r.size() && t.starts_with(r) && t[r.size()] == '-');
}

// The one entry of a language map a canonical answer keeps (Communication 2.1.3: "apply the
// Accept-Language header as described in RFC 2616 ... to each language map individually"). RFC 2616
// 14.4: a tag's quality is that of the longest range matching it, "*" matching the tags no other range
// matches; `languages` is ordered by quality, so a lower index is a better tag. When no range matches any
// entry (the client would accept none), an entry of the same primary language as the most preferred range
// possible ("en-US" asked, "en-GB" there), else the map's first entry: the answer still has one.
void pick_language(json& map, const std::vector<std::string>& languages) {
  if (!map.is_object() || map.size() <= 1) return;
  constexpr std::size_t kUnmatched = static_cast<std::size_t>(-1);
  std::optional<std::string> chosen;
  std::size_t chosen_rank = kUnmatched;
  for (const auto& [tag, text] : map.items()) {
    std::size_t rank = kUnmatched;
    std::size_t any = kUnmatched;
    std::size_t longest = 0;
    for (std::size_t i = 0; i < languages.size(); ++i) {
      if (languages[i] == "*") {
        any = std::min(any, i);
      } else if (languages[i].size() > longest && range_matches(languages[i], tag)) {
        longest = languages[i].size();
        rank = i;
      }
    }
    if (rank == kUnmatched) rank = any;
    if (rank < chosen_rank) {
      chosen = tag;
      chosen_rank = rank;
    }
  }
  const auto primary = [](const std::string& tag) { return to_lower(tag.substr(0, tag.find('-'))); };
  for (std::size_t i = 0; !chosen && i < languages.size(); ++i) {
    for (const auto& [tag, text] : map.items()) {
      if (languages[i] != "*" && primary(tag) == primary(languages[i])) {
        chosen = tag;
        break;
      }
    }
  }
  if (!chosen) chosen = map.begin().key();
  json kept = json::object();
  kept[*chosen] = std::move(map[*chosen]);
  map = std::move(kept);
}

void canonical_in(json& s, const std::vector<std::string>& languages) {
  const auto definition = [&](json& a) {
    if (!a.is_object() || !a.contains("definition") || !a["definition"].is_object()) return;
    auto& d = a["definition"];
    for (const char* key : {"name", "description"}) {
      if (d.contains(key)) pick_language(d[key], languages);
    }
    for (const char* list : {"choices", "scale", "source", "target", "steps"}) {
      if (!d.contains(list) || !d[list].is_array()) continue;
      for (auto& component : d[list]) {
        if (component.contains("description")) pick_language(component["description"], languages);
      }
    }
  };
  if (s.contains("verb") && s["verb"].contains("display")) pick_language(s["verb"]["display"], languages);
  if (s.contains("object") && s["object"].is_object()) {
    if (s["object"].value("objectType", "Activity") == "Activity") definition(s["object"]);
    if (s["object"].value("objectType", "") == "SubStatement") canonical_in(s["object"], languages);
  }
  if (s.contains("context") && s["context"].contains("contextActivities") && s["context"]["contextActivities"].is_object()) {
    for (auto& [key, value] : s["context"]["contextActivities"].items()) {
      if (value.is_array()) {
        for (auto& a : value) definition(a);
      } else {
        definition(value);
      }
    }
  }
  if (s.contains("attachments") && s["attachments"].is_array()) {
    for (auto& a : s["attachments"]) {
      for (const char* key : {"display", "description"}) {
        if (a.contains(key)) pick_language(a[key], languages);
      }
    }
  }
}

}  // namespace

json ids_format(const json& statement) {
  json s = statement;
  ids_in(s);
  return s;
}

json canonical_format(const json& statement, const std::vector<std::string>& languages) {
  json s = statement;
  canonical_in(s, languages);
  return s;
}

std::vector<std::string> accepted_languages(std::string_view header) {
  std::vector<std::pair<double, std::string>> ranges;
  std::size_t start = 0;
  while (start <= header.size()) {
    const auto end = std::min(header.find(',', start), header.size());
    std::string_view part = header.substr(start, end - start);
    double q = 1.0;
    if (const auto semi = part.find(';'); semi != std::string_view::npos) {
      const std::string params = to_lower(std::string(part.substr(semi + 1)));  // "Q=0.5" is "q=0.5"
      if (const auto qpos = params.find("q="); qpos != std::string_view::npos) {
        try {
          q = std::stod(std::string(params.substr(qpos + 2)));
        } catch (const std::exception&) {
          q = 0;
        }
      }
      part = part.substr(0, semi);
    }
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty() && q > 0) ranges.emplace_back(q, std::string(part));
    start = end + 1;
  }
  std::stable_sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [q, tag] : ranges) out.push_back(std::move(tag));
  return out;
}

namespace {

// Everything related_agents / related_activities match (Communication 2.1.3), recursing into a SubStatement.
void collect_related(const json& s, std::set<std::string>& agents, std::set<std::string>& activities) {
  const auto agent = [&](const json& a) {
    if (a.is_object()) agents.insert(actor_key(a));
  };
  const auto activity = [&](const json& a) {
    if (a.is_object() && a.contains("id") && a["id"].is_string()) activities.insert(a["id"].get<std::string>());
  };
  if (s.contains("actor")) agent(s["actor"]);
  if (s.contains("authority")) agent(s["authority"]);
  if (s.contains("object") && s["object"].is_object()) {
    const auto& o = s["object"];
    const std::string type = o.value("objectType", "Activity");
    if (type == "Activity") activity(o);
    else if (type == "Agent" || type == "Group") agent(o);
    else if (type == "SubStatement") collect_related(o, agents, activities);
  }
  if (s.contains("context") && s["context"].is_object()) {
    const auto& c = s["context"];
    if (c.contains("instructor")) agent(c["instructor"]);
    if (c.contains("team")) agent(c["team"]);
    for (const auto& [list, member] : {std::pair{"contextAgents", "agent"}, std::pair{"contextGroups", "group"}}) {
      if (!c.contains(list) || !c[list].is_array()) continue;
      for (const auto& e : c[list]) {
        if (e.contains(member)) agent(e[member]);
      }
    }
    if (c.contains("contextActivities") && c["contextActivities"].is_object()) {
      for (const auto& [key, value] : c["contextActivities"].items()) {
        if (value.is_array()) {
          for (const auto& a : value) activity(a);
        } else {
          activity(value);
        }
      }
    }
  }
}

}  // namespace

core::Result<StatementColumns> columns_of(const json& s) {
  if (!s.is_object()) return core::Error::invalid("not a statement object");
  for (const char* key : {"id", "stored", "actor", "verb", "object"}) {
    if (!s.contains(key)) return core::Error::invalid(std::string("missing ") + key, key);
  }
  if (!s["id"].is_string() || !s["stored"].is_string() || !s["verb"].is_object() || !s["object"].is_object() ||
      !s["actor"].is_object()) {
    return core::Error::invalid("id, stored, actor, verb or object has the wrong type");
  }
  StatementColumns c;
  c.statement_id = to_lower(s["id"].get<std::string>());
  const auto stored = parse_timestamp(s["stored"].get<std::string>(), Version::k2_0);
  if (!stored) return core::Error::invalid("stored is not an RFC 3339 timestamp", "stored");
  c.stored = *stored;
  c.actor_key = actor_key(s["actor"]);
  c.verb_id = s["verb"].value("id", "");
  const auto& object = s["object"];
  const std::string type = object.value("objectType", "Activity");
  if (type == "Activity") {
    c.activity_id = object.value("id", "");
  } else if (type == "Agent" || type == "Group") {
    c.object_agent_key = actor_key(object);
  } else if (type == "StatementRef") {
    c.statement_ref = to_lower(object.value("id", ""));
    if (c.verb_id == "http://adlnet.gov/expapi/verbs/voided") c.voids = c.statement_ref;
  }
  if (s.contains("context") && s["context"].is_object() && s["context"].contains("registration") &&
      s["context"]["registration"].is_string()) {
    c.registration = to_lower(s["context"]["registration"].get<std::string>());
  }
  std::set<std::string> agents, activities;
  collect_related(s, agents, activities);
  c.related_agents.assign(agents.begin(), agents.end());
  c.related_activities.assign(activities.begin(), activities.end());
  return c;
}

}  // namespace edfleet::ingest::xapi
