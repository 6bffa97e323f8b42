#include "edfleet/core/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

extern char** environ;

namespace edfleet::core {
namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    auto t = trim(item);
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

template <typename Int>
std::string parse_int(const std::string& text, Int& out) {
  Int value{};
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return "expects a whole number, got \"" + text + "\"";
  out = value;
  return {};
}

std::string env_suffix(std::string_view key) {
  std::string out;
  for (char c : key) {
    out.push_back((c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

Environment Environment::from_process() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    vars.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return Environment(std::move(vars));
}

std::optional<std::string> Environment::get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  std::size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  long long value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + digits, value);
  if (ec != std::errc()) return std::nullopt;
  std::string unit = t.substr(digits);
  if (unit.empty() || unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "s") return std::chrono::milliseconds(value * 1000);
  if (unit == "m") return std::chrono::milliseconds(value * 60'000);
  if (unit == "h") return std::chrono::milliseconds(value * 3'600'000);
  if (unit == "d") return std::chrono::milliseconds(value * 86'400'000);
  return std::nullopt;
}

ConfigSpec::ConfigSpec(std::string service) : service_(std::move(service)) {}

void ConfigSpec::add(std::string key, Binding binding) { bindings_[std::move(key)] = std::move(binding); }

void ConfigSpec::bind(std::string key, std::string& target, std::string help) {
  add(std::move(key), {"string", std::move(help), target, [&target](const std::string& v) {
                         target = v;
                         return std::string();
                       }, nullptr, nullptr});
}

void ConfigSpec::bind(std::string key, bool& target, std::string help) {
  add(std::move(key), {"bool", std::move(help), target ? "true" : "false", [&target](const std::string& v) {
                         std::string l = v;
                         std::transform(l.begin(), l.end(), l.begin(), ::tolower);
                         if (l == "true" || l == "yes" || l == "on" || l == "1") { target = true; return std::string(); }
                         if (l == "false" || l == "no" || l == "off" || l == "0") { target = false; return std::string(); }
                         return "expects true or false, got \"" + v + "\"";
                       }, nullptr, nullptr});
}

void ConfigSpec::bind(std::string key, int& target, std::string help) {
  add(std::move(key), {"int", std::move(help), std::to_string(target),
                       [&target](const std::string& v) { return parse_int(v, target); }, nullptr, nullptr});
}

void ConfigSpec::bind(std::string key, std::int64_t& target, std::string help) {
  add(std::move(key), {"int", std::move(help), std::to_string(target),
                       [&target](const std::string& v) { return parse_int(v, target); }, nullptr, nullptr});
}

void ConfigSpec::bind(std::string key, double& target, std::string help) {
  std::ostringstream def;
  def << target;
  add(std::move(key), {"number", std::move(help), def.str(), [&target](const std::string& v) {
                         try {
                           std::size_t used = 0;
                           double d = std::stod(v, &used);
                           if (used != v.size()) throw std::invalid_argument(v);
                           target = d;
                           return std::string();
                         } catch (const std::exception&) {
                           return "expects a number, got \"" + v + "\"";
                         }
                       }, nullptr, nullptr});
}

void ConfigSpec::bind(std::string key, std::chrono::milliseconds& target, std::string help) {
  add(std::move(key), {"duration", std::move(help), std::to_string(target.count()) + "ms",
                       [&target](const std::string& v) {
                         auto d = parse_duration(v);
                         if (!d) return "expects a duration such as 250ms, 3s, 5m or 1h, got \"" + v + "\"";
                         target = *d;
                         return std::string();
                       }, nullptr, nullptr});
}

void ConfigSpec::bind(std::string key, std::vector<std::string>& target, std::string help) {
  add(std::move(key), {"list", std::move(help), join(target),
                       [&target](const std::string& v) {
                         target = split_list(v);
                         return std::string();
                       },
                       [&target](const std::vector<std::string>& v) {
                         target = v;
                         return std::string();
                       }, nullptr});
}

void ConfigSpec::bind(std::string key, std::map<std::string, std::string>& target, std::string help) {
  std::string def;
  for (const auto& [k, v] : target) def += (def.empty() ? "" : ",") + k + "=" + v;
  add(std::move(key), {"map", std::move(help), def,
                       [&target](const std::string& v) {
                         std::map<std::string, std::string> parsed;
                         for (const auto& item : split_list(v)) {
                           auto eq = item.find('=');
                           if (eq == std::string::npos || eq == 0) return "expects k=v pairs, got \"" + item + "\"";
                           parsed[trim(item.substr(0, eq))] = trim(item.substr(eq + 1));
                         }
                         target = std::move(parsed);
                         return std::string();
                       },
                       nullptr,
                       [&target](const std::map<std::string, std::string>& v) {
                         target = v;
                         return std::string();
                       }});
}

std::vector<std::string> ConfigSpec::env_names(std::string_view key) const {
  std::vector<std::string> names;
  const std::string suffix = env_suffix(key);
  if (!service_.empty()) names.push_back("EDFLEET_" + env_suffix(service_) + "_" + suffix);
  names.push_back("EDFLEET_" + suffix);
  return names;
}

Result<void> ConfigSpec::load(const std::string& path, const Environment& env) {
  if (path.empty()) return load_text("", env);
  std::ifstream in(path);
  if (!in) return Error::invalid("cannot read config file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto result = load_text(buffer.str(), env);
  if (!result.ok()) return Error::invalid(path + ": " + result.error().message, result.error().field);
  return result;
}

Result<void> ConfigSpec::load_text(std::string_view yaml, const Environment& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Error::invalid(std::string("invalid YAML: ") + e.what());
  }
  if (root && !root.IsNull() && !root.IsMap()) return Error::invalid("the configuration must be a YAML mapping");

  // Walks the mapping: a bound key takes the node; an unbound key is an error unless it is a prefix
  // of bound keys, in which case its mapping is walked further.
  std::function<Result<void>(const YAML::Node&, const std::string&)> walk =
      [&](const YAML::Node& node, const std::string& prefix) -> Result<void> {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.as<std::string>();
      const std::string key = prefix.empty() ? name : prefix + "." + name;
      const YAML::Node value = it->second;  // a handle: copy it, the iterator's pair is a temporary
      auto bound = bindings_.find(key);
      if (bound != bindings_.end()) {
        const Binding& b = bound->second;
        std::string problem;
        if (value.IsNull()) continue;  // "key:" with nothing keeps the default
        if (value.IsScalar()) {
          problem = b.set_text(value.as<std::string>());
        } else if (value.IsSequence() && b.set_list) {
          std::vector<std::string> items;
          for (const auto& item : value) {
            if (!item.IsScalar()) return Error::invalid("key '" + key + "' expects a list of scalars", key);
            items.push_back(item.as<std::string>());
          }
          problem = b.set_list(items);
        } else if (value.IsMap() && b.set_map) {
          std::map<std::string, std::string> items;
          for (auto m = value.begin(); m != value.end(); ++m) {
            if (!m->second.IsScalar()) return Error::invalid("key '" + key + "' expects a flat mapping", key);
            items[m->first.as<std::string>()] = m->second.as<std::string>();
          }
          problem = b.set_map(items);
        } else {
          problem = "expects a " + b.type;
        }
        if (!problem.empty()) return Error::invalid("key '" + key + "' " + problem, key);
        continue;
      }
      const std::string child_prefix = key + ".";
      const bool is_section = std::any_of(bindings_.begin(), bindings_.end(), [&](const auto& entry) {
        return entry.first.rfind(child_prefix, 0) == 0;
      });
      if (is_section && value.IsMap()) {
        auto r = walk(value, key);
        if (!r.ok()) return r;
        continue;
      }
      if (is_section && value.IsNull()) continue;
      return Error::invalid("unknown configuration key '" + key + "'", key);
    }
    return {};
  };
  if (root && root.IsMap()) {
    auto r = walk(root, "");
    if (!r.ok()) return r;
  }
  return apply_environment(env);
}

Result<void> ConfigSpec::apply_environment(const Environment& env) {
  for (const auto& [key, binding] : bindings_) {
    for (const auto& name : env_names(key)) {
      auto value = env.get(name);
      if (!value) continue;
      std::string problem = binding.set_text(*value);
      if (!problem.empty()) return Error::invalid("environment " + name + " (key '" + key + "') " + problem, key);
      break;  // the most specific variable wins
    }
  }
  return {};
}

std::string ConfigSpec::describe() const {
  std::ostringstream out;
  for (const auto& [key, b] : bindings_) {
    out << "  " << key << " (" << b.type << ", default \"" << b.default_text << "\")\n      " << b.help
        << "\n      env: ";
    auto names = env_names(key);
    for (std::size_t i = 0; i < names.size(); ++i) out << (i ? " or " : "") << names[i];
    out << "\n";
  }
  return out.str();
}

}  // namespace edfleet::core
