// Configuration: one YAML file per service, overridden by environment variables.
//
// A service declares every key it understands by binding it to a typed variable that holds the
// default; load() then reads the file and the environment. Unknown keys in the file are rejected
// with their name, so a typo never silently falls back to a default. Keys are dotted paths into the
// YAML mapping ("kafka.bootstrap_servers"). For a key, the first of these that is set wins:
//   EDFLEET_<SERVICE>_<KEY>   e.g. EDFLEET_INGEST_GRPC_PORT   (one service only)
//   EDFLEET_<KEY>             e.g. EDFLEET_KAFKA_BOOTSTRAP_SERVERS (every service)
//   the YAML file
//   the bound variable's initial value (the default)
// where <KEY> is the dotted key upper-cased with '.' and '-' turned into '_'.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edfleet/core/result.h"

namespace edfleet::core {

// The environment as a map, so tests can pass their own. from_process() reads environ.
class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  static Environment from_process();
  std::optional<std::string> get(const std::string& name) const;

 private:
  std::map<std::string, std::string> vars_;
};

class ConfigSpec {
 public:
  // `service` names the EDFLEET_<SERVICE>_* overrides; empty disables them.
  explicit ConfigSpec(std::string service = {});

  void bind(std::string key, std::string& target, std::string help);
  void bind(std::string key, bool& target, std::string help);
  void bind(std::string key, int& target, std::string help);
  void bind(std::string key, std::int64_t& target, std::string help);
  void bind(std::string key, double& target, std::string help);
  // Durations are written "250ms", "3s", "5m", "1h" (a bare number is milliseconds).
  void bind(std::string key, std::chrono::milliseconds& target, std::string help);
  // Lists are YAML sequences, or comma-separated in the environment.
  void bind(std::string key, std::vector<std::string>& target, std::string help);
  // String maps are YAML mappings, or "k=v,k2=v2" in the environment.
  void bind(std::string key, std::map<std::string, std::string>& target, std::string help);

  // Reads the file at `path` (empty = no file) and then the environment. Errors name the key.
  Result<void> load(const std::string& path, const Environment& env);
  // The same, from YAML text (for tests and embedded defaults).
  Result<void> load_text(std::string_view yaml, const Environment& env);

  // "key  (type, default)  help" lines, for --help.
  std::string describe() const;

  // The environment variable names that override `key`, most specific first.
  std::vector<std::string> env_names(std::string_view key) const;

 private:
  // How one key is set. Each setter returns an empty string on success, else what is wrong.
  struct Binding {
    std::string type;
    std::string help;
    std::string default_text;
    std::function<std::string(const std::string&)> set_text;   // YAML scalar or environment value
    std::function<std::string(const std::vector<std::string>&)> set_list;  // lists only
    std::function<std::string(const std::map<std::string, std::string>&)> set_map;  // maps only
  };
  void add(std::string key, Binding binding);
  Result<void> apply_environment(const Environment& env);

  std::string service_;
  std::map<std::string, Binding> bindings_;
};

// Parses "250ms", "3s", "5m", "1h", "2d" or a bare number of milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace edfleet::core
