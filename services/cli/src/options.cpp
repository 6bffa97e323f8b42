#include "options.h"

#include <algorithm>
#include <sstream>

#include <CLI/CLI.hpp>

#include "edfleet/core/time_format.h"
#include "endpoints.h"

namespace edfleet::cli {

namespace {

constexpr const char* kDescription =
    "edfleet: run and talk to the edfleet event backbone on this machine.\n"
    "  edfleet up                      start Kafka (embedded), Postgres (embedded) and all services\n"
    "  edfleet publish events.json     send events to ingest\n"
    "  edfleet query counts --tenant T event counts per day and type, from analytics\n"
    "  edfleet query learner ID --tenant T   one learner's summary\n"
    "  edfleet keys create --tenant T --name N --role admin   an API key for the gateway (list, revoke)\n"
    "  edfleet rules apply FILE --tenant T   create or update rules (rules list, rules install PACK)\n"
    "  edfleet sim --streams 50 --rate 5     simulated marketplace and classroom traffic (sim --help)\n"
    "Exit codes: 0 ok, 1 failure, 2 usage error.";

// Applies an environment fallback to an option the command line did not set.
void env_fallback(const CLI::Option* option, std::string& target, const core::Environment& env,
                  const std::string& name) {
  if (option->count() == 0) {
    if (auto value = env.get(name); value && !value->empty()) target = *value;
  }
}

std::string usage_error(const std::string& message, const std::string& command) {
  return "edfleet: " + message + "\nRun `edfleet " + command + " --help` for usage.\n";
}

bool valid_address(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  return std::all_of(address.begin() + static_cast<std::ptrdiff_t>(colon) + 1, address.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

ParseOutcome parse_command_line(int argc, const char* const* argv, const core::Environment& env) {
  CLI::App app{kDescription, "edfleet"};
  app.require_subcommand(1);
  app.footer("Run `edfleet <command> --help` for a command's options.");

  // --- up ---
  UpOptions up;
  std::string ports_base_text;
  bool ephemeral = false;
  std::string services_text;
  std::string colour_text = "auto";
  int ready_timeout = 60;
  int stop_timeout = 15;
  auto* up_cmd = app.add_subcommand("up", "Run the fleet in the foreground: Kafka, Postgres and the six services");
  up_cmd->footer(
      "Starts the embedded Kafka broker (edfleet-broker) unless --kafka-bootstrap is given, an embedded\n"
      "Postgres unless --database-url is given (one database per service), then ingest, analytics, rules,\n"
      "summaries, notify and gateway, each after the previous one is ready. Prints the endpoints and\n"
      "writes them to the endpoints file for `edfleet publish` and `edfleet query`. Ctrl-C (or SIGTERM)\n"
      "stops the services in reverse order, then Kafka and Postgres; a second Ctrl-C kills them. If a\n"
      "service dies, everything is stopped and the exit status is 1.");
  auto* kafka_opt = up_cmd->add_option("--kafka-bootstrap", up.kafka_bootstrap,
                                       "Use this Kafka instead of starting edfleet-broker "
                                       "(env EDFLEET_KAFKA_BOOTSTRAP_SERVERS)")
                       ->type_name("HOST:PORT");
  auto* db_opt = up_cmd->add_option("--database-url", up.database_url,
                                    "Use this Postgres server (postgresql://user@host:port/db) instead of "
                                    "an embedded one; a database per service is created on it (env DATABASE_URL)")
                    ->type_name("URL");
  auto* up_data_opt = up_cmd->add_option(
      "--data-dir", up.data_dir,
      "Keep Postgres data and the endpoints file in DIR between runs (default: a temp dir, removed at "
      "exit; endpoints in ./.edfleet/) (env EDFLEET_DATA_DIR)")
                         ->type_name("DIR");
  up_cmd->add_option("--pg-port", up.pg_port, "Port of the embedded Postgres (default: a free port)")
      ->type_name("PORT")
      ->check(CLI::Range(0, 65535));
  auto* base_opt = up_cmd->add_option(
      "--port-base", ports_base_text,
      "Shift every service port so the gateway's gRPC port is BASE (defaults: gateway 7000/8080, "
      "ingest 7101/7102, rules 7201/7202, summaries 7301/7302, notify 7401/7402, analytics 7501/7502)")
                       ->type_name("BASE");
  auto* eph_opt = up_cmd->add_flag("--ephemeral-ports", ephemeral,
                                   "Let every service pick a free port (see the endpoints table/file)");
  base_opt->excludes(eph_opt);
  up_cmd->add_option("--services", services_text,
                     "Comma-separated subset of services to start (default: all)")
      ->type_name("NAME,...");
  up_cmd->add_option("--log-level", up.log_level, "Log level for the services (debug, info, warn, error)")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  up_cmd->add_flag("--raw-logs", up.raw_logs, "Show the services' JSON log lines as they are");
  up_cmd->add_option("--color", colour_text, "Colour the output: auto (if a terminal), always, never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  up_cmd->add_option("--ready-timeout", ready_timeout, "Seconds to wait for each service to be ready (default 60)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600));
  up_cmd->add_option("--stop-timeout", stop_timeout,
                     "Seconds a service gets to stop after SIGTERM before SIGKILL (default 15)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600));
  auto* bin_opt = up_cmd->add_option("--bin-dir", up.bin_dir,
                                     "Where the service binaries are (default: next to edfleet) "
                                     "(env EDFLEET_BIN_DIR)")
                     ->type_name("DIR");
  auto* up_endpoints_opt = up_cmd->add_option("--endpoints", up.endpoints_file,
                                              "Where to write the endpoints file (env EDFLEET_ENDPOINTS_FILE)")
                              ->type_name("FILE");

  // --- publish ---
  PublishOptions publish;
  std::string publish_data_dir;
  int batch_size = 1000;
  int publish_timeout = 30;
  auto* publish_cmd = app.add_subcommand("publish", "Send events from a JSON / JSON Lines file to ingest");
  publish_cmd->footer(
      "FILE holds one event object, a JSON array of them, or JSON Lines (one per line); `-` reads stdin.\n"
      "Events use the protobuf JSON mapping of edfleet.events.v1.Event, e.g.\n"
      "  {\"id\":\"3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b\",\"tenant\":\"acme\",\"type\":\"quiz.submitted\",\n"
      "   \"source\":\"lms.acme.example\",\"subject\":{\"learnerId\":\"l-1\"},\n"
      "   \"occurredAt\":\"2026-11-25T09:30:00Z\",\"quizSubmission\":{\"quizId\":\"q-1\",\"score\":8,\"maxScore\":10}}\n"
      "Prints each rejected event and a summary (accepted, duplicates, rejected). Exit status 1 if any\n"
      "event was rejected or a call failed.");
  publish_cmd->add_option("FILE", publish.file, "Events file, or - for stdin")->required();
  publish_cmd->add_option("--ingest", publish.ingest, "Ingest's gRPC address (default: from the endpoints file, else 127.0.0.1:7101)")
      ->type_name("HOST:PORT");
  publish_cmd->add_option("--tenant", publish.tenant, "Tenant to publish as (x-edfleet-tenant metadata); events' own tenant must then be empty or equal")
      ->type_name("TENANT");
  publish_cmd->add_option("--batch-size", batch_size, "Events per Publish call (1..1000, default 1000)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  publish_cmd->add_option("--timeout", publish_timeout, "Seconds to wait for each call (default 30)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600));
  publish_cmd->add_flag("--json", publish.json, "Print the result as JSON");
  publish_cmd->add_flag("--ignore-unknown-fields", publish.ignore_unknown_fields,
                        "Skip JSON fields that Event does not have (default: reject the event)");
  auto* publish_endpoints_opt = publish_cmd->add_option("--endpoints", publish.endpoints_file,
                                                        "Endpoints file of a running `edfleet up` (env EDFLEET_ENDPOINTS_FILE)")
                                  ->type_name("FILE");
  auto* publish_data_opt = publish_cmd->add_option("--data-dir", publish_data_dir,
                                                   "The --data-dir given to `edfleet up` (env EDFLEET_DATA_DIR)")
                              ->type_name("DIR");

  // --- query ---
  auto* query_cmd = app.add_subcommand("query", "Ask analytics: event counts per day and type, a learner's summary");
  query_cmd->require_subcommand(1);

  QueryCountsOptions counts;
  std::string counts_data_dir;
  int counts_timeout = 10;
  auto* counts_cmd = query_cmd->add_subcommand(
      "counts", "Events per UTC day (of occurred_at) and type for a tenant; days inclusive, default the last 30");
  counts_cmd->add_option("--tenant", counts.tenant, "Tenant (required)")->type_name("TENANT")->required();
  counts_cmd->add_option("--from", counts.from_day, "First day, YYYY-MM-DD (default: 30 days before --to)")->type_name("DAY");
  counts_cmd->add_option("--to", counts.to_day, "Last day, YYYY-MM-DD (default: today, UTC)")->type_name("DAY");
  counts_cmd->add_option("--type", counts.types, "Only these event types (repeatable)")->type_name("TYPE");
  counts_cmd->add_option("--analytics", counts.analytics, "Analytics' gRPC address (default: from the endpoints file)")->type_name("HOST:PORT");
  counts_cmd->add_option("--timeout", counts_timeout, "Seconds to wait for the answer (default 10)")->type_name("SECONDS")->check(CLI::Range(1, 3600));
  counts_cmd->add_flag("--json", counts.json, "Print the response as JSON");
  auto* counts_endpoints_opt = counts_cmd->add_option("--endpoints", counts.endpoints_file, "Endpoints file of a running `edfleet up`")->type_name("FILE");
  auto* counts_data_opt = counts_cmd->add_option("--data-dir", counts_data_dir, "The --data-dir given to `edfleet up`")->type_name("DIR");

  QueryLearnerOptions learner;
  std::string learner_data_dir;
  int learner_timeout = 10;
  auto* learner_cmd = query_cmd->add_subcommand("learner", "One learner's summary for a tenant.");
  learner_cmd->add_option("ID", learner.learner_id, "Learner id (subject.learner_id of the events)")->required();
  learner_cmd->add_option("--tenant", learner.tenant, "Tenant (required)")->type_name("TENANT")->required();
  learner_cmd->add_option("--analytics", learner.analytics, "Analytics' gRPC address (default: from the endpoints file)")->type_name("HOST:PORT");
  learner_cmd->add_option("--timeout", learner_timeout, "Seconds to wait for the answer (default 10)")->type_name("SECONDS")->check(CLI::Range(1, 3600));
  learner_cmd->add_flag("--json", learner.json, "Print the response as JSON");
  auto* learner_endpoints_opt = learner_cmd->add_option("--endpoints", learner.endpoints_file, "Endpoints file of a running `edfleet up`")->type_name("FILE");
  auto* learner_data_opt = learner_cmd->add_option("--data-dir", learner_data_dir, "The --data-dir given to `edfleet up`")->type_name("DIR");

  // --- keys ---
  KeysOptions keys;
  std::string keys_data_dir;
  auto* keys_cmd = app.add_subcommand("keys", "Manage the gateway's API keys (straight in its database)");
  keys_cmd->require_subcommand(1);
  keys_cmd->footer(
      "Uses the gateway's database: --database-url, else the one `edfleet up` wrote to the endpoints file.\n"
      "Applications and partners then call the gateway with `Authorization: Bearer <key>`.");
  auto* keys_db_opt = keys_cmd->add_option("--database-url", keys.database_url,
                                           "The gateway's database (postgresql://user@host:port/edfleet_gateway) "
                                           "(env EDFLEET_GATEWAY_POSTGRES_URL)")
                          ->type_name("URL");
  auto* keys_endpoints_opt = keys_cmd->add_option("--endpoints", keys.endpoints_file,
                                                  "Endpoints file of a running `edfleet up` (env EDFLEET_ENDPOINTS_FILE)")
                                 ->type_name("FILE");
  auto* keys_data_opt = keys_cmd->add_option("--data-dir", keys_data_dir, "The --data-dir given to `edfleet up`")->type_name("DIR");
  keys_cmd->add_flag("--json", keys.json, "Print the result as JSON");
  auto* keys_create_cmd = keys_cmd->add_subcommand("create", "Create a key; its secret is printed once");
  keys_create_cmd->add_option("--tenant", keys.tenant, "Tenant (required)")->type_name("TENANT")->required();
  keys_create_cmd->add_option("--name", keys.name, "What the key is for, e.g. \"ops laptop\" (required)")->type_name("NAME")->required();
  keys_create_cmd->add_option("--role", keys.roles, "Role (repeatable; admin, operator, educator, learner, service, lrs_reader, lrs_writer)")
      ->type_name("ROLE")
      ->required();
  auto* keys_list_cmd = keys_cmd->add_subcommand("list", "A tenant's keys (ids, names, roles; never secrets)");
  keys_list_cmd->add_option("--tenant", keys.tenant, "Tenant (required)")->type_name("TENANT")->required();
  auto* keys_revoke_cmd = keys_cmd->add_subcommand("revoke", "Revoke a key (the gateway refuses it within seconds)");
  keys_revoke_cmd->add_option("ID", keys.id, "Key id (efk_...)")->required();
  keys_revoke_cmd->add_option("--tenant", keys.tenant, "The key's tenant (required)")->type_name("TENANT")->required();

  // --- rules ---
  RulesOptions rules;
  std::string rules_data_dir;
  int rules_timeout = 30;
  auto* rules_cmd = app.add_subcommand("rules", "Manage a tenant's rules on the rules service");
  rules_cmd->require_subcommand(1);
  rules_cmd->add_option("--tenant", rules.tenant, "Tenant (x-edfleet-tenant metadata) (env EDFLEET_TENANT)")->type_name("TENANT");
  rules_cmd->add_option("--rules", rules.rules, "Rules' gRPC address (default: from the endpoints file)")->type_name("HOST:PORT");
  rules_cmd->add_option("--timeout", rules_timeout, "Seconds to wait for each call (default 30)")->type_name("SECONDS")->check(CLI::Range(1, 3600));
  rules_cmd->add_flag("--json", rules.json, "Print the result as JSON");
  auto* rules_endpoints_opt = rules_cmd->add_option("--endpoints", rules.endpoints_file, "Endpoints file of a running `edfleet up` (env EDFLEET_ENDPOINTS_FILE)")->type_name("FILE");
  auto* rules_data_opt = rules_cmd->add_option("--data-dir", rules_data_dir, "The --data-dir given to `edfleet up`")->type_name("DIR");
  auto* rules_apply_cmd = rules_cmd->add_subcommand(
      "apply", "Validate FILE, then create each rule in it (enabled), or update it if its id exists");
  rules_apply_cmd->add_option("FILE", rules.file, "Rules file (one or more `rule ...` blocks), or - for stdin")->required();
  auto* rules_list_cmd = rules_cmd->add_subcommand("list", "The tenant's rules");
  rules_list_cmd->add_flag("--all", rules.include_disabled, "Include disabled rules");
  auto* rules_install_cmd = rules_cmd->add_subcommand("install", "Install (or update) a built-in rule pack, e.g. learning");
  rules_install_cmd->add_option("PACK", rules.pack, "Pack name")->required();
  for (auto* sub : {rules_apply_cmd, rules_list_cmd, rules_install_cmd}) sub->fallthrough();
  for (auto* sub : {keys_create_cmd, keys_list_cmd, keys_revoke_cmd}) sub->fallthrough();

  ParseOutcome outcome;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::ostringstream out;
    std::ostringstream err;
    app.exit(e, out, err);
    outcome.output = out.str();
    outcome.exit_code = kExitOk;
    return outcome;
  } catch (const CLI::CallForAllHelp& e) {
    std::ostringstream out;
    std::ostringstream err;
    app.exit(e, out, err);
    outcome.output = out.str();
    outcome.exit_code = kExitOk;
    return outcome;
  } catch (const CLI::ParseError& e) {
    std::ostringstream out;
    std::ostringstream err;
    app.exit(e, out, err);
    outcome.output = err.str().empty() ? std::string(e.what()) + "\n" : err.str();
    outcome.exit_code = kExitUsage;
    outcome.is_error = true;
    return outcome;
  }

  auto fail = [&](const std::string& message, const std::string& command) {
    outcome.output = usage_error(message, command);
    outcome.exit_code = kExitUsage;
    outcome.is_error = true;
    return outcome;
  };

  if (up_cmd->parsed()) {
    env_fallback(kafka_opt, up.kafka_bootstrap, env, "EDFLEET_KAFKA_BOOTSTRAP_SERVERS");
    env_fallback(db_opt, up.database_url, env, "DATABASE_URL");
    env_fallback(up_data_opt, up.data_dir, env, "EDFLEET_DATA_DIR");
    env_fallback(bin_opt, up.bin_dir, env, "EDFLEET_BIN_DIR");
    env_fallback(up_endpoints_opt, up.endpoints_file, env, "EDFLEET_ENDPOINTS_FILE");
    up.endpoints_file = endpoints_path(up.endpoints_file, up.data_dir);
    if (ephemeral) {
      up.ports = PortPlan{PortPlan::Mode::kEphemeral, 0};
    } else if (base_opt->count() > 0) {
      int base = 0;
      try {
        std::size_t used = 0;
        base = std::stoi(ports_base_text, &used);
        if (used != ports_base_text.size()) throw std::invalid_argument(ports_base_text);
      } catch (const std::exception&) {
        return fail("--port-base must be a number, got \"" + ports_base_text + "\"", "up");
      }
      auto plan = shifted_port_plan(base);
      if (!plan.ok()) return fail(plan.error().message, "up");
      up.ports = *plan;
    }
    if (services_text.empty()) {
      for (const auto& service : fleet_services()) up.services.push_back(service.name);
    } else {
      std::vector<std::string> wanted;
      std::stringstream list(services_text);
      std::string name;
      while (std::getline(list, name, ',')) {
        if (name.empty()) continue;
        if (find_service(name) == nullptr) {
          std::string known;
          for (const auto& service : fleet_services()) known += (known.empty() ? "" : ", ") + service.name;
          return fail("unknown service \"" + name + "\" in --services (known: " + known + ")", "up");
        }
        wanted.push_back(name);
      }
      if (wanted.empty()) return fail("--services names no service", "up");
      // Keep the fleet's start order whatever order the operator typed.
      for (const auto& service : fleet_services()) {
        if (std::find(wanted.begin(), wanted.end(), service.name) != wanted.end()) {
          up.services.push_back(service.name);
        }
      }
    }
    if (!up.database_url.empty()) {
      auto probe = with_database(up.database_url, "postgres");
      if (!probe.ok()) return fail(probe.error().message, "up");
    }
    if (!up.kafka_bootstrap.empty() && up.kafka_bootstrap.find(':') == std::string::npos) {
      return fail("--kafka-bootstrap must be host:port[,host:port...], got \"" + up.kafka_bootstrap + "\"", "up");
    }
    up.colour = colour_text == "always" ? ColourMode::kAlways
                : colour_text == "never" ? ColourMode::kNever
                                         : ColourMode::kAuto;
    up.ready_timeout = std::chrono::seconds(ready_timeout);
    up.stop_timeout = std::chrono::seconds(stop_timeout);
    outcome.command = std::move(up);
    return outcome;
  }

  if (publish_cmd->parsed()) {
    env_fallback(publish_endpoints_opt, publish.endpoints_file, env, "EDFLEET_ENDPOINTS_FILE");
    env_fallback(publish_data_opt, publish_data_dir, env, "EDFLEET_DATA_DIR");
    publish.endpoints_file = endpoints_path(publish.endpoints_file, publish_data_dir);
    if (!publish.ingest.empty() && !valid_address(publish.ingest)) {
      return fail("--ingest must be host:port, got \"" + publish.ingest + "\"", "publish");
    }
    publish.batch_size = static_cast<std::size_t>(batch_size);
    publish.timeout = std::chrono::seconds(publish_timeout);
    outcome.command = std::move(publish);
    return outcome;
  }

  if (counts_cmd->parsed()) {
    env_fallback(counts_endpoints_opt, counts.endpoints_file, env, "EDFLEET_ENDPOINTS_FILE");
    env_fallback(counts_data_opt, counts_data_dir, env, "EDFLEET_DATA_DIR");
    counts.endpoints_file = endpoints_path(counts.endpoints_file, counts_data_dir);
    for (const auto* day : {&counts.from_day, &counts.to_day}) {
      if (!day->empty() && !core::parse_day(*day)) {
        return fail("days are written YYYY-MM-DD, got \"" + *day + "\"", "query counts");
      }
    }
    if (!counts.from_day.empty() && !counts.to_day.empty() && counts.from_day > counts.to_day) {
      return fail("--from " + counts.from_day + " is after --to " + counts.to_day, "query counts");
    }
    if (!counts.analytics.empty() && !valid_address(counts.analytics)) {
      return fail("--analytics must be host:port, got \"" + counts.analytics + "\"", "query counts");
    }
    counts.timeout = std::chrono::seconds(counts_timeout);
    outcome.command = std::move(counts);
    return outcome;
  }

  if (learner_cmd->parsed()) {
    env_fallback(learner_endpoints_opt, learner.endpoints_file, env, "EDFLEET_ENDPOINTS_FILE");
    env_fallback(learner_data_opt, learner_data_dir, env, "EDFLEET_DATA_DIR");
    learner.endpoints_file = endpoints_path(learner.endpoints_file, learner_data_dir);
    if (!learner.analytics.empty() && !valid_address(learner.analytics)) {
      return fail("--analytics must be host:port, got \"" + learner.analytics + "\"", "query learner");
    }
    learner.timeout = std::chrono::seconds(learner_timeout);
    outcome.command = std::move(learner);
    return outcome;
  }

  if (keys_cmd->parsed()) {
    env_fallback(keys_db_opt, keys.database_url, env, "EDFLEET_GATEWAY_POSTGRES_URL");
    env_fallback(keys_endpoints_opt, keys.endpoints_file, env, "EDFLEET_ENDPOINTS_FILE");
    env_fallback(keys_data_opt, keys_data_dir, env, "EDFLEET_DATA_DIR");
    keys.endpoints_file = endpoints_path(keys.endpoints_file, keys_data_dir);
    if (keys_create_cmd->parsed()) keys.action = KeysOptions::Action::kCreate;
    if (keys_list_cmd->parsed()) keys.action = KeysOptions::Action::kList;
    if (keys_revoke_cmd->parsed()) keys.action = KeysOptions::Action::kRevoke;
    outcome.command = std::move(keys);
    return outcome;
  }

  if (rules_cmd->parsed()) {
    if (rules.tenant.empty()) {
      if (auto value = env.get("EDFLEET_TENANT"); value) rules.tenant = *value;
    }
    env_fallback(rules_endpoints_opt, rules.endpoints_file, env, "EDFLEET_ENDPOINTS_FILE");
    env_fallback(rules_data_opt, rules_data_dir, env, "EDFLEET_DATA_DIR");
    rules.endpoints_file = endpoints_path(rules.endpoints_file, rules_data_dir);
    if (rules_apply_cmd->parsed()) rules.action = RulesOptions::Action::kApply;
    if (rules_list_cmd->parsed()) rules.action = RulesOptions::Action::kList;
    if (rules_install_cmd->parsed()) rules.action = RulesOptions::Action::kInstall;
    const std::string command = rules.action == RulesOptions::Action::kApply  ? "rules apply"
                                : rules.action == RulesOptions::Action::kList ? "rules list"
                                                                              : "rules install";
    if (rules.tenant.empty()) return fail("--tenant is required (the rules service keeps rules per tenant)", command);
    if (!rules.rules.empty() && !valid_address(rules.rules)) {
      return fail("--rules must be host:port, got \"" + rules.rules + "\"", command);
    }
    rules.timeout = std::chrono::seconds(rules_timeout);
    outcome.command = std::move(rules);
    return outcome;
  }

  return fail("no command given", "");
}

}  // namespace edfleet::cli
