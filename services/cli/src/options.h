// `edfleet` command line -> typed options. Pure: no I/O besides the help/error text it returns, and
// the environment is passed in, so every flag and fallback is unit-tested.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "edfleet/core/config.h"
#include "fleet.h"

namespace edfleet::cli {

enum class ColourMode { kAuto, kAlways, kNever };

struct UpOptions {
  std::string kafka_bootstrap;     // empty = start edfleet-broker
  std::string database_url;        // empty = embedded Postgres
  std::string data_dir;            // empty = a temp dir removed at exit
  int pg_port = 0;                 // embedded Postgres port; 0 = free port
  PortPlan ports;
  std::vector<std::string> services;   // in fleet start order; default all
  std::string log_level;           // passed to services; empty = their default
  bool raw_logs = false;
  ColourMode colour = ColourMode::kAuto;
  std::chrono::seconds ready_timeout{60};
  std::chrono::seconds stop_timeout{15};
  std::string bin_dir;             // empty = the directory of the edfleet binary
  std::string endpoints_file;      // empty = <data_dir>/endpoints.json or ./.edfleet/endpoints.json
};

struct PublishOptions {
  std::string file;                // "-" = stdin
  std::string ingest;              // host:port override
  std::string tenant;              // x-edfleet-tenant metadata; empty = not sent
  std::size_t batch_size = 1000;
  std::chrono::seconds timeout{30};   // per batch
  bool json = false;
  bool ignore_unknown_fields = false;
  std::string endpoints_file;      // resolved path
};

struct QueryCountsOptions {
  std::string tenant;
  std::string from_day;
  std::string to_day;
  std::vector<std::string> types;
  std::string analytics;
  std::chrono::seconds timeout{10};
  bool json = false;
  std::string endpoints_file;
};

struct QueryLearnerOptions {
  std::string tenant;
  std::string learner_id;
  std::string analytics;
  std::chrono::seconds timeout{10};
  bool json = false;
  std::string endpoints_file;
};

// `edfleet keys create|list|revoke`: straight against the gateway's database.
struct KeysOptions {
  enum class Action { kCreate, kList, kRevoke };
  Action action = Action::kList;
  std::string tenant;
  std::string name;                  // create
  std::vector<std::string> roles;    // create
  std::string id;                    // revoke
  std::string database_url;          // empty = the gateway's database from the endpoints file
  bool json = false;
  std::string endpoints_file;
};

// `edfleet rules apply|list|install`: RulesService calls on the rules gRPC port.
struct RulesOptions {
  enum class Action { kApply, kList, kInstall };
  Action action = Action::kList;
  std::string file;                  // apply; "-" = stdin
  std::string pack;                  // install
  std::string tenant;
  bool include_disabled = false;     // list
  std::string rules;                 // host:port override
  std::chrono::seconds timeout{30};
  bool json = false;
  std::string endpoints_file;
};

using Command = std::variant<UpOptions, PublishOptions, QueryCountsOptions, QueryLearnerOptions, KeysOptions,
                             RulesOptions>;

// Either a command to run, or text to print and an exit code (0 for --help, 2 for usage errors).
struct ParseOutcome {
  std::optional<Command> command;
  int exit_code = 0;
  std::string output;      // help text (stdout) or error text (stderr)
  bool is_error = false;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// argv[0] is the program name. Environment fallbacks: EDFLEET_KAFKA_BOOTSTRAP_SERVERS
// (--kafka-bootstrap), DATABASE_URL (--database-url), EDFLEET_DATA_DIR (--data-dir),
// EDFLEET_ENDPOINTS_FILE (--endpoints), EDFLEET_BIN_DIR (--bin-dir).
ParseOutcome parse_command_line(int argc, const char* const* argv, const core::Environment& env);

}  // namespace edfleet::cli
