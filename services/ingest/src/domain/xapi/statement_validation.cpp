#include "domain/xapi/statement_validation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <regex>
#include <set>
#include <string_view>
#include <vector>

#include "edfleet/core/ids.h"

namespace edfleet::ingest::xapi {
namespace {

using nlohmann::json;

// The usageType of the attachment carrying a signed statement's JWS (Data 2.6).
constexpr std::string_view kSignatureAttachment = "http://adlnet.gov/expapi/attachments/signature";

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

// A short rendering of a value for messages: long values are cut so a message stays readable.
std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::string_view type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    default: return "a value";
  }
}

// Walks one statement; stops at the first broken rule (error_ set, every check returns false).
class Checker {
 public:
  explicit Checker(const ValidationOptions& options) : options_(options) {}

  std::optional<core::Error> error;

  bool statement(const json& s, const std::string& path, bool sub) {
    if (!object(s, path, sub ? "a SubStatement object" : "a statement object")) return false;
    if (sub) {
      if (!only_keys(s, path, {"objectType", "actor", "verb", "object", "result", "context", "timestamp",
                               "attachments"},
                     "a SubStatement")) {
        return false;
      }
    } else if (!only_keys(s, path, {"id", "actor", "verb", "object", "result", "context", "timestamp",
                                    "stored", "authority", "version", "attachments"},
                          "a statement")) {
      return false;
    }
    if (!required(s, path, {"actor", "verb", "object"})) return false;
    if (s.contains("id") && !uuid(s["id"], child(path, "id"))) return false;
    if (!actor(s["actor"], child(path, "actor"))) return false;
    if (!verb(s["verb"], child(path, "verb"))) return false;
    bool object_is_activity = false;
    if (!statement_object(s["object"], child(path, "object"), sub, object_is_activity)) return false;
    // A voiding statement names the statement it voids (Data 2.3.2).
    if (s["verb"]["id"] == kVoidedVerb && s["object"].value("objectType", json()) != "StatementRef") {
      return fail_text(child(path, "object"), "must be a StatementRef when the verb is " + std::string(kVoidedVerb));
    }
    if (s.contains("result") && !result(s["result"], child(path, "result"))) return false;
    if (s.contains("context") && !context(s["context"], child(path, "context"), object_is_activity)) return false;
    if (s.contains("timestamp") && !timestamp(s["timestamp"], child(path, "timestamp"))) return false;
    if (s.contains("stored") && !timestamp(s["stored"], child(path, "stored"))) return false;
    if (s.contains("authority") && !authority(s["authority"], child(path, "authority"))) return false;
    if (s.contains("version")) {
      // Data 2.4.10: 1.0.3 rejects every version not starting with "1.0."; 2.0 also takes 2.0.x.
      const auto& v = s["version"];
      const auto parsed = v.is_string() ? parse_version(v.get_ref<const std::string&>()) : std::nullopt;
      if (!parsed) return fail(child(path, "version"), "must be a supported xAPI version (1.0.x or 2.0.x)", v);
      if (*parsed == Version::k2_0 && options_.version == Version::k1_0) {
        return fail(child(path, "version"), "must be 1.0.x in an xAPI 1.0.3 request (X-Experience-API-Version)", v);
      }
    }
    if (s.contains("attachments") && !attachments(s["attachments"], child(path, "attachments"))) return false;
    return true;
  }

 private:
  const ValidationOptions& options_;

  bool fail(const std::string& path, std::string_view rule, const json& got) {
    return fail_text(path, std::string(rule) + "; got " + shown(got));
  }
  bool fail_text(const std::string& path, const std::string& message) {
    const std::string subject = path.empty() ? "the statement" : path;
    error = core::Error::invalid(subject + " " + message + ".", path);
    return false;
  }

  bool object(const json& v, const std::string& path, std::string_view what) {
    if (v.is_object()) return true;
    return fail_text(path, "must be " + std::string(what) + "; got " + std::string(type_name(v)));
  }
  bool string(const json& v, const std::string& path) {
    if (v.is_string()) return true;
    return fail_text(path, "must be a string; got " + std::string(type_name(v)));
  }
  bool boolean(const json& v, const std::string& path) {
    if (v.is_boolean()) return true;
    return fail_text(path, "must be true or false; got " + std::string(type_name(v)));
  }
  bool number(const json& v, const std::string& path) {
    if (v.is_number()) return true;
    return fail_text(path, "must be a number; got " + std::string(type_name(v)));
  }

  // Properties are case-sensitive; anything not in `allowed` (a typo, "Actor", a property of another
  // version) is rejected rather than stored and silently ignored.
  bool only_keys(const json& v, const std::string& path, std::initializer_list<std::string_view> allowed,
                 std::string_view what) {
    for (const auto& [key, value] : v.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string hint;
      for (const auto& candidate : allowed) {
        if (candidate.size() == key.size() &&
            std::equal(candidate.begin(), candidate.end(), key.begin(), [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
            })) {
          hint = " (property names are case-sensitive: did you mean \"" + std::string(candidate) + "\"?)";
        }
      }
      return fail_text(child(path, key), "is not a property of " + std::string(what) + hint);
    }
    return true;
  }

  bool required(const json& v, const std::string& path, std::initializer_list<std::string_view> keys) {
    for (const auto& key : keys) {
      if (!v.contains(key)) return fail_text(child(path, key), "is required");
    }
    return true;
  }

  bool uuid(const json& v, const std::string& path) {
    if (v.is_string() && core::is_uuid(v.get_ref<const std::string&>())) return true;
    return fail(path, "must be a UUID (8-4-4-4-12 hexadecimal digits)", v);
  }

  bool iri(const json& v, const std::string& path, std::string_view what = "an IRI with a scheme") {
    if (v.is_string() && is_iri(v.get_ref<const std::string&>())) return true;
    return fail(path, "must be " + std::string(what), v);
  }

  bool language_map(const json& v, const std::string& path) {
    if (!object(v, path, "a language map (an object of RFC 5646 language tag to string)")) return false;
    for (const auto& [tag, text] : v.items()) {
      if (!is_language_tag(tag)) {
        return fail_text(child(path, tag), "is not a well-formed RFC 5646 language tag");
      }
      if (!string(text, child(path, tag))) return false;
    }
    return true;
  }

  bool extensions(const json& v, const std::string& path) {
    if (!object(v, path, "an object whose keys are IRIs")) return false;
    for (const auto& [key, value] : v.items()) {
      if (!is_iri(key)) return fail_text(child(path, key), "is not an IRI with a scheme (extension keys must be IRIs)");
    }
    return true;
  }

  bool timestamp(const json& v, const std::string& path) {
    if (v.is_string() && parse_timestamp(v.get_ref<const std::string&>(), options_.version)) return true;
    return fail(path,
                options_.version == Version::k2_0
                    ? "must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-25T09:30:00.000Z"
                    : "must be an ISO 8601 timestamp, e.g. 2026-11-25T09:30:00.000Z",
                v);
  }

  // Agent or Group (objectType decides). `as_object`: used as a statement's object, where objectType is
  // required because the default there is Activity.
  bool actor(const json& v, const std::string& path) {
    if (!object(v, path, "an Agent or Group object")) return false;
    if (v.contains("objectType")) {
      const auto& type = v["objectType"];
      if (type == "Group") return group(v, path);
      if (type != "Agent") return fail(child(path, "objectType"), "must be \"Agent\" or \"Group\"", type);
    }
    return agent(v, path);
  }

  // Counts the Inverse Functional Identifiers and checks each one's format.
  bool ifis(const json& v, const std::string& path, int& count) {
    count = 0;
    if (v.contains("mbox")) {
      ++count;
      const auto& m = v["mbox"];
      if (!m.is_string() || !is_mailto_iri(m.get_ref<const std::string&>())) {
        return fail(child(path, "mbox"), "must be a mailto IRI (mailto:name@example.com)", m);
      }
    }
    if (v.contains("mbox_sha1sum")) {
      ++count;
      const auto& m = v["mbox_sha1sum"];
      if (!m.is_string() || !is_sha1_hex(m.get_ref<const std::string&>())) {
        return fail(child(path, "mbox_sha1sum"), "must be the SHA-1 of a mailto IRI, 40 hexadecimal digits", m);
      }
    }
    if (v.contains("openid")) {
      ++count;
      if (!iri(v["openid"], child(path, "openid"), "a URI with a scheme")) return false;
    }
    if (v.contains("account")) {
      ++count;
      const auto& a = v["account"];
      const auto apath = child(path, "account");
      if (!object(a, apath, "an account object (homePage, name)")) return false;
      if (!only_keys(a, apath, {"homePage", "name"}, "an account")) return false;
      if (!required(a, apath, {"homePage", "name"})) return false;
      if (!iri(a["homePage"], child(apath, "homePage"), "an IRL with a scheme")) return false;
      if (!string(a["name"], child(apath, "name"))) return false;
    }
    return true;
  }

  bool agent(const json& v, const std::string& path) {
    if (!only_keys(v, path, {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}, "an Agent")) {
      return false;
    }
    if (v.contains("name") && !string(v["name"], child(path, "name"))) return false;
    int count = 0;
    if (!ifis(v, path, count)) return false;
    if (count != 1) {
      return fail_text(path, "must have exactly one inverse functional identifier (mbox, mbox_sha1sum, openid or "
                             "account); found " + std::to_string(count));
    }
    return true;
  }

  bool group(const json& v, const std::string& path) {
    if (!only_keys(v, path, {"objectType", "name", "member", "mbox", "mbox_sha1sum", "openid", "account"},
                   "a Group")) {
      return false;
    }
    if (v.contains("name") && !string(v["name"], child(path, "name"))) return false;
    int count = 0;
    if (!ifis(v, path, count)) return false;
    if (count > 1) {
      return fail_text(path, "must have at most one inverse functional identifier; found " + std::to_string(count));
    }
    if (count == 0 && !v.contains("member")) {
      return fail_text(child(path, "member"), "is required in an anonymous Group (one without an identifier)");
    }
    if (v.contains("member")) {
      const auto& members = v["member"];
      const auto mpath = child(path, "member");
      if (!members.is_array()) return fail_text(mpath, "must be an array of Agents; got " + std::string(type_name(members)));
      if (count == 0 && members.empty()) return fail_text(mpath, "must list at least one Agent in an anonymous Group");
      for (std::size_t i = 0; i < members.size(); ++i) {
        const auto& m = members[i];
        if (!object(m, item(mpath, i), "an Agent object")) return false;
        if (m.contains("objectType") && m["objectType"] != "Agent") {
          return fail(child(item(mpath, i), "objectType"), "must be \"Agent\" (a Group's members are Agents)",
                      m["objectType"]);
        }
        if (!agent(m, item(mpath, i))) return false;
      }
    }
    return true;
  }

  bool authority(const json& v, const std::string& path) {
    if (!actor(v, path)) return false;
    // A Group authority is the 3-legged OAuth case: an anonymous group of exactly two Agents.
    if (v.contains("objectType") && v["objectType"] == "Group") {
      int count = 0;
      if (!ifis(v, path, count)) return false;
      if (count != 0 || !v.contains("member") || v["member"].size() != 2) {
        return fail_text(path, "must be an Agent, or an anonymous Group of exactly two Agents (OAuth)");
      }
    }
    return true;
  }

  bool verb(const json& v, const std::string& path) {
    if (!object(v, path, "a Verb object")) return false;
    if (!only_keys(v, path, {"id", "display"}, "a Verb")) return false;
    if (!required(v, path, {"id"})) return false;
    if (!iri(v["id"], child(path, "id"))) return false;
    if (v.contains("display") && !language_map(v["display"], child(path, "display"))) return false;
    return true;
  }

  bool statement_object(const json& v, const std::string& path, bool in_sub, bool& is_activity) {
    if (!object(v, path, "an Activity, Agent, Group, StatementRef or SubStatement object")) return false;
    std::string type = "Activity";
    if (v.contains("objectType")) {
      if (!v["objectType"].is_string()) return fail(child(path, "objectType"), "must be a string", v["objectType"]);
      type = v["objectType"].get<std::string>();
    }
    is_activity = type == "Activity";
    if (type == "Activity" && !v.contains("objectType")) {
      // Data 2.4.4.2: an Agent or Group as the object must say so; without objectType it is an Activity.
      for (const char* key : {"mbox", "mbox_sha1sum", "openid", "account", "member"}) {
        if (v.contains(key)) {
          return fail_text(child(path, "objectType"),
                           "is required when the object is an Agent or Group (found \"" + std::string(key) +
                               "\"; without objectType the object is an Activity)");
        }
      }
    }
    if (type == "Activity") return activity(v, path);
    if (type == "Agent") return agent(v, path);
    if (type == "Group") return group(v, path);
    if (type == "StatementRef") return statement_ref(v, path);
    if (type == "SubStatement") {
      if (in_sub) return fail_text(child(path, "objectType"), "must not be \"SubStatement\" inside a SubStatement");
      return statement(v, path, true);
    }
    return fail(child(path, "objectType"), "must be Activity, Agent, Group, StatementRef or SubStatement", v["objectType"]);
  }

  bool statement_ref(const json& v, const std::string& path) {
    if (!object(v, path, "a StatementRef object")) return false;
    if (!only_keys(v, path, {"objectType", "id"}, "a StatementRef")) return false;
    if (!required(v, path, {"objectType", "id"})) return false;
    if (v["objectType"] != "StatementRef") return fail(child(path, "objectType"), "must be \"StatementRef\"", v["objectType"]);
    return uuid(v["id"], child(path, "id"));
  }

  bool activity(const json& v, const std::string& path) {
    if (!object(v, path, "an Activity object")) return false;
    if (v.contains("objectType") && v["objectType"] != "Activity") {
      return fail(child(path, "objectType"), "must be \"Activity\"", v["objectType"]);
    }
    if (!only_keys(v, path, {"objectType", "id", "definition"}, "an Activity")) return false;
    if (!required(v, path, {"id"})) return false;
    if (!iri(v["id"], child(path, "id"))) return false;
    if (v.contains("definition") && !definition(v["definition"], child(path, "definition"))) return false;
    return true;
  }

  bool definition(const json& d, const std::string& path) {
    if (!object(d, path, "an Activity Definition object")) return false;
    if (!only_keys(d, path, {"name", "description", "type", "moreInfo", "extensions", "interactionType",
                             "correctResponsesPattern", "choices", "scale", "source", "target", "steps"},
                   "an Activity Definition")) {
      return false;
    }
    if (d.contains("name") && !language_map(d["name"], child(path, "name"))) return false;
    if (d.contains("description") && !language_map(d["description"], child(path, "description"))) return false;
    if (d.contains("type") && !iri(d["type"], child(path, "type"))) return false;
    if (d.contains("moreInfo") && !iri(d["moreInfo"], child(path, "moreInfo"), "an IRL with a scheme")) return false;
    if (d.contains("extensions") && !extensions(d["extensions"], child(path, "extensions"))) return false;

    static const std::set<std::string, std::less<>> kInteractionTypes = {
        "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
        "sequencing", "likert", "numeric", "other"};
    static const std::initializer_list<std::string_view> kComponentLists = {"choices", "scale", "source", "target",
                                                                              "steps"};
    std::string interaction;
    if (d.contains("interactionType")) {
      const auto& t = d["interactionType"];
      if (!t.is_string() || !kInteractionTypes.contains(t.get_ref<const std::string&>())) {
        return fail(child(path, "interactionType"),
                    "must be one of true-false, choice, fill-in, long-fill-in, matching, performance, sequencing, "
                    "likert, numeric, other",
                    t);
      }
      interaction = t.get<std::string>();
    }
    if (d.contains("correctResponsesPattern")) {
      const auto cpath = child(path, "correctResponsesPattern");
      if (interaction.empty()) return fail_text(cpath, "requires interactionType to be set");
      const auto& c = d["correctResponsesPattern"];
      if (!c.is_array()) return fail_text(cpath, "must be an array of strings; got " + std::string(type_name(c)));
      for (std::size_t i = 0; i < c.size(); ++i) {
        if (!string(c[i], item(cpath, i))) return false;
      }
    }
    for (const auto& list : kComponentLists) {
      if (!d.contains(list)) continue;
      const auto lpath = child(path, list);
      if (interaction.empty()) return fail_text(lpath, "requires interactionType to be set");
      const bool allowed = (list == "choices" && (interaction == "choice" || interaction == "sequencing")) ||
                           (list == "scale" && interaction == "likert") ||
                           ((list == "source" || list == "target") && interaction == "matching") ||
                           (list == "steps" && interaction == "performance");
      if (!allowed) {
        return fail_text(lpath, "is not allowed for interactionType \"" + interaction +
                                    "\" (choices: choice, sequencing; scale: likert; source/target: matching; "
                                    "steps: performance)");
      }
      if (!components(d[list], lpath)) return false;
    }
    if (d.contains("correctResponsesPattern") &&
        !response_patterns(d, interaction, child(path, "correctResponsesPattern"))) {
      return false;
    }
    return true;
  }

  // The ids of an interaction component list, or nullopt when the definition does not carry the list.
  static std::optional<std::set<std::string>> component_ids(const json& d, const char* list) {
    if (!d.contains(list)) return std::nullopt;
    std::set<std::string> ids;
    for (const auto& c : d[list]) ids.insert(c["id"].get<std::string>());
    return ids;
  }

  static std::vector<std::string> split(std::string_view text, std::string_view delimiter) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      const auto end = text.find(delimiter, start);
      parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
      if (end == std::string_view::npos) return parts;
      start = end + delimiter.size();
    }
  }

  static bool is_decimal(std::string_view text) {
    if (text.empty()) return false;
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
  }

  // Data 2.4.4.1 "Response Patterns": the format of each correctResponsesPattern string for the interaction
  // type, and that the ids it names are in the definition's component lists (when they are given).
  bool response_patterns(const json& d, const std::string& interaction, const std::string& path) {
    const auto& patterns = d["correctResponsesPattern"];
    const auto known = [&](const std::optional<std::set<std::string>>& ids, const std::string& id,
                           const std::string& where, const char* list) {
      if (!ids || ids->contains(id)) return true;
      return fail_text(where, "names \"" + id + "\", which is not an id in " + list);
    };
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      const std::string& p = patterns[i].get_ref<const std::string&>();
      const auto ppath = item(path, i);
      if (interaction == "true-false") {
        if (p != "true" && p != "false") return fail(ppath, "must be \"true\" or \"false\" for a true-false interaction", patterns[i]);
      } else if (interaction == "choice" || interaction == "sequencing") {
        if (p.empty()) continue;  // no item selected
        const auto choices = component_ids(d, "choices");
        for (const auto& id : split(p, "[,]")) {
          if (id.empty()) return fail(ppath, "must be choice ids delimited by [,] (an id is empty)", patterns[i]);
          if (!known(choices, id, ppath, "choices")) return false;
        }
      } else if (interaction == "likert") {
        if (p.find("[,]") != std::string::npos || p.empty()) {
          return fail(ppath, "must be a single scale id for a likert interaction", patterns[i]);
        }
        if (!known(component_ids(d, "scale"), p, ppath, "scale")) return false;
      } else if (interaction == "matching") {
        if (p.empty()) continue;
        const auto source = component_ids(d, "source");
        const auto target = component_ids(d, "target");
        for (const auto& pair : split(p, "[,]")) {
          const auto items = split(pair, "[.]");
          if (items.size() != 2 || items[0].empty() || items[1].empty()) {
            return fail(ppath, "must be source[.]target pairs delimited by [,] for a matching interaction", patterns[i]);
          }
          if (!known(source, items[0], ppath, "source") || !known(target, items[1], ppath, "target")) return false;
        }
      } else if (interaction == "performance") {
        std::string_view rest = p;
        if (rest.starts_with("{order_matters=")) rest.remove_prefix(std::min(rest.size(), rest.find('}') + 1));
        if (rest.empty()) continue;
        const auto steps = component_ids(d, "steps");
        for (const auto& step : split(rest, "[,]")) {
          const auto dot = step.find("[.]");
          if (dot == std::string::npos || dot == 0) {
            return fail(ppath, "must be step[.]response items delimited by [,] for a performance interaction", patterns[i]);
          }
          if (!known(steps, step.substr(0, dot), ppath, "steps")) return false;
        }
      } else if (interaction == "numeric") {
        const auto bounds = split(p, "[:]");
        const bool single = bounds.size() == 1 && is_decimal(bounds[0]);
        const bool range = bounds.size() == 2 && (bounds[0].empty() || is_decimal(bounds[0])) &&
                           (bounds[1].empty() || is_decimal(bounds[1])) && !(bounds[0].empty() && bounds[1].empty());
        if (!single && !range) {
          return fail(ppath, "must be a number or a range min[:]max (either side may be omitted) for a numeric interaction",
                      patterns[i]);
        }
        if (range && !bounds[0].empty() && !bounds[1].empty() && std::stod(bounds[0]) > std::stod(bounds[1])) {
          return fail(ppath, "must have its minimum not greater than its maximum", patterns[i]);
        }
      }
      // fill-in, long-fill-in and other: any string (characterstring parameters are not validated).
    }
    return true;
  }

  bool components(const json& list, const std::string& path) {
    if (!list.is_array()) return fail_text(path, "must be an array of interaction components; got " + std::string(type_name(list)));
    std::set<std::string> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& c = list[i];
      const auto cpath = item(path, i);
      if (!object(c, cpath, "an interaction component object (id, description)")) return false;
      if (!only_keys(c, cpath, {"id", "description"}, "an interaction component")) return false;
      if (!required(c, cpath, {"id"})) return false;
      if (!string(c["id"], child(cpath, "id"))) return false;
      const auto& id = c["id"].get_ref<const std::string&>();
      if (id.empty()) return fail_text(child(cpath, "id"), "must not be empty");
      if (!ids.insert(id).second) return fail(child(cpath, "id"), "must be unique within the list", c["id"]);
      if (c.contains("description") && !language_map(c["description"], child(cpath, "description"))) return false;
    }
    return true;
  }

  bool result(const json& r, const std::string& path) {
    if (!object(r, path, "a Result object")) return false;
    if (!only_keys(r, path, {"score", "success", "completion", "response", "duration", "extensions"}, "a Result")) {
      return false;
    }
    if (r.contains("score") && !score(r["score"], child(path, "score"))) return false;
    if (r.contains("success") && !boolean(r["success"], child(path, "success"))) return false;
    if (r.contains("completion") && !boolean(r["completion"], child(path, "completion"))) return false;
    if (r.contains("response") && !string(r["response"], child(path, "response"))) return false;
    if (r.contains("duration")) {
      const auto& d = r["duration"];
      if (!d.is_string() || !is_duration(d.get_ref<const std::string&>())) {
        return fail(child(path, "duration"), "must be an ISO 8601 duration, e.g. PT1H30M or PT4.5S", d);
      }
    }
    if (r.contains("extensions") && !extensions(r["extensions"], child(path, "extensions"))) return false;
    return true;
  }

  bool score(const json& s, const std::string& path) {
    if (!object(s, path, "a Score object")) return false;
    if (!only_keys(s, path, {"scaled", "raw", "min", "max"}, "a Score")) return false;
    for (const auto* key : {"scaled", "raw", "min", "max"}) {
      if (s.contains(key) && !number(s[key], child(path, key))) return false;
    }
    if (s.contains("scaled")) {
      const double scaled = s["scaled"].get<double>();
      if (!(scaled >= -1.0 && scaled <= 1.0)) return fail(child(path, "scaled"), "must be between -1 and 1", s["scaled"]);
    }
    if (s.contains("min") && s.contains("max") && !(s["min"].get<double>() < s["max"].get<double>())) {
      return fail_text(child(path, "max"), "must be greater than min (" + shown(s["min"]) + "); got " + shown(s["max"]));
    }
    if (s.contains("raw")) {
      const double raw = s["raw"].get<double>();
      if (s.contains("min") && raw < s["min"].get<double>()) {
        return fail_text(child(path, "raw"), "must not be less than min (" + shown(s["min"]) + "); got " + shown(s["raw"]));
      }
      if (s.contains("max") && raw > s["max"].get<double>()) {
        return fail_text(child(path, "raw"), "must not be greater than max (" + shown(s["max"]) + "); got " + shown(s["raw"]));
      }
    }
    return true;
  }

  bool context(const json& c, const std::string& path, bool object_is_activity) {
    if (!object(c, path, "a Context object")) return false;
    if (options_.version == Version::k2_0) {
      if (!only_keys(c, path, {"registration", "instructor", "team", "contextActivities", "contextAgents",
                               "contextGroups", "revision", "platform", "language", "statement", "extensions"},
                     "a Context")) {
        return false;
      }
    } else if (!only_keys(c, path, {"registration", "instructor", "team", "contextActivities", "revision",
                                    "platform", "language", "statement", "extensions"},
                          "a Context (xAPI 1.0.3)")) {
      return false;
    }
    if (c.contains("registration") && !uuid(c["registration"], child(path, "registration"))) return false;
    if (c.contains("instructor") && !actor(c["instructor"], child(path, "instructor"))) return false;
    if (c.contains("team")) {
      const auto& t = c["team"];
      const auto tpath = child(path, "team");
      if (!object(t, tpath, "a Group object")) return false;
      if (t.value("objectType", json()) != "Group") {
        return fail(child(tpath, "objectType"), "must be \"Group\" (team is a Group)", t.value("objectType", json()));
      }
      if (!group(t, tpath)) return false;
    }
    if (c.contains("contextActivities") && !context_activities(c["contextActivities"], child(path, "contextActivities"))) {
      return false;
    }
    if (c.contains("contextAgents") && !context_agents(c["contextAgents"], child(path, "contextAgents"), false)) return false;
    if (c.contains("contextGroups") && !context_agents(c["contextGroups"], child(path, "contextGroups"), true)) return false;
    for (const auto* key : {"revision", "platform"}) {
      if (!c.contains(key)) continue;
      if (!string(c[key], child(path, key))) return false;
      if (!object_is_activity) {
        return fail_text(child(path, key), "is only allowed when the statement's object is an Activity");
      }
    }
    if (c.contains("language")) {
      const auto& l = c["language"];
      if (!l.is_string() || !is_language_tag(l.get_ref<const std::string&>())) {
        return fail(child(path, "language"), "must be an RFC 5646 language tag, e.g. en-US", l);
      }
    }
    if (c.contains("statement") && !statement_ref(c["statement"], child(path, "statement"))) return false;
    if (c.contains("extensions") && !extensions(c["extensions"], child(path, "extensions"))) return false;
    return true;
  }

  bool context_activities(const json& ca, const std::string& path) {
    if (!object(ca, path, "a contextActivities object (parent, grouping, category, other)")) return false;
    if (!only_keys(ca, path, {"parent", "grouping", "category", "other"}, "contextActivities")) return false;
    for (const auto& [key, value] : ca.items()) {
      const auto kpath = child(path, key);
      if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
          if (!activity(value[i], item(kpath, i))) return false;
        }
      } else if (value.is_object()) {
        if (!activity(value, kpath)) return false;
      } else {
        return fail_text(kpath, "must be an Activity or an array of Activities; got " + std::string(type_name(value)));
      }
    }
    return true;
  }

  // 2.0 context.contextAgents / contextGroups: [{objectType, agent|group, relevantTypes}].
  bool context_agents(const json& list, const std::string& path, bool groups) {
    const std::string_view object_type = groups ? "contextGroup" : "contextAgent";
    const std::string_view member = groups ? "group" : "agent";
    if (!list.is_array()) return fail_text(path, "must be an array; got " + std::string(type_name(list)));
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& e = list[i];
      const auto epath = item(path, i);
      if (!object(e, epath, "an object")) return false;
      if (!only_keys(e, epath, {"objectType", member, "relevantTypes"}, groups ? "a contextGroup" : "a contextAgent")) {
        return false;
      }
      if (!required(e, epath, {"objectType", member})) return false;
      if (e["objectType"] != object_type) {
        return fail(child(epath, "objectType"), "must be \"" + std::string(object_type) + "\"", e["objectType"]);
      }
      const auto mpath = child(epath, member);
      if (groups) {
        if (!object(e[member], mpath, "a Group object")) return false;
        if (e[member].value("objectType", json()) != "Group") {
          return fail(child(mpath, "objectType"), "must be \"Group\"", e[member].value("objectType", json()));
        }
        if (!group(e[member], mpath)) return false;
      } else {
        if (!object(e[member], mpath, "an Agent object")) return false;
        if (e[member].contains("objectType") && e[member]["objectType"] != "Agent") {
          return fail(child(mpath, "objectType"), "must be \"Agent\"", e[member]["objectType"]);
        }
        if (!agent(e[member], mpath)) return false;
      }
      if (e.contains("relevantTypes")) {
        const auto& r = e["relevantTypes"];
        const auto rpath = child(epath, "relevantTypes");
        if (!r.is_array() || r.empty()) return fail(rpath, "must be a non-empty array of IRIs", r);
        for (std::size_t j = 0; j < r.size(); ++j) {
          if (!iri(r[j], item(rpath, j))) return false;
        }
      }
    }
    return true;
  }

  bool attachments(const json& list, const std::string& path) {
    if (!list.is_array()) return fail_text(path, "must be an array of Attachment objects; got " + std::string(type_name(list)));
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& a = list[i];
      const auto apath = item(path, i);
      if (!object(a, apath, "an Attachment object")) return false;
      if (!only_keys(a, apath, {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"},
                     "an Attachment")) {
        return false;
      }
      if (!required(a, apath, {"usageType", "display", "contentType", "length", "sha2"})) return false;
      if (!iri(a["usageType"], child(apath, "usageType"))) return false;
      if (!language_map(a["display"], child(apath, "display"))) return false;
      if (a.contains("description") && !language_map(a["description"], child(apath, "description"))) return false;
      static const std::regex kMediaType(R"(^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+[ \t]*(;.*)?$)");
      const auto& ct = a["contentType"];
      if (!ct.is_string() || !std::regex_match(ct.get_ref<const std::string&>(), kMediaType)) {
        return fail(child(apath, "contentType"), "must be an Internet Media Type (RFC 2046), e.g. application/pdf", ct);
      }
      // Data 2.6: the signature of a signed statement is an application/octet-stream attachment.
      if (a["usageType"] == kSignatureAttachment && ct != "application/octet-stream") {
        return fail(child(apath, "contentType"), "must be application/octet-stream for a signature attachment", ct);
      }
      const auto& len = a["length"];
      if (!len.is_number_integer() || len.get<long long>() < 0) {
        return fail(child(apath, "length"), "must be a non-negative integer (octets)", len);
      }
      const auto& sha2 = a["sha2"];
      bool hex = sha2.is_string() && !sha2.get_ref<const std::string&>().empty();
      if (hex) {
        for (char ch : sha2.get_ref<const std::string&>()) hex = hex && std::isxdigit(static_cast<unsigned char>(ch));
      }
      // SHA-224, -256, -384 or -512 in hexadecimal.
      const std::size_t digits = hex ? sha2.get_ref<const std::string&>().size() : 0;
      if (!hex || (digits != 56 && digits != 64 && digits != 96 && digits != 128)) {
        return fail(child(apath, "sha2"), "must be the hexadecimal SHA-2 hash of the attachment (56, 64, 96 or 128 digits)",
                    sha2);
      }
      if (a.contains("fileUrl") && !iri(a["fileUrl"], child(apath, "fileUrl"), "an IRL with a scheme")) return false;
    }
    return true;
  }
};

}  // namespace

core::Result<void> validate_statement(const nlohmann::json& statement, const ValidationOptions& options,
                                      const std::string& path_prefix) {
  Checker checker(options);
  if (checker.statement(statement, path_prefix, false)) return {};
  return *checker.error;
}

}  // namespace edfleet::ingest::xapi
