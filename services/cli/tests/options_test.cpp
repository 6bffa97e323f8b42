#include <catch2/catch.hpp>

#include "options.h"

using namespace edfleet::cli;
using edfleet::core::Environment;

namespace {

ParseOutcome parse(std::vector<std::string> args, Environment env = Environment()) {
  std::vector<const char*> argv{"edfleet"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), env);
}

template <typename T>
T command(const ParseOutcome& outcome) {
  INFO(outcome.output);
  REQUIRE(outcome.command.has_value());
  REQUIRE(std::holds_alternative<T>(*outcome.command));
  return std::get<T>(*outcome.command);
}

}  // namespace

TEST_CASE("--help prints usage and exits 0") {
  auto outcome = parse({"--help"});
  CHECK(outcome.exit_code == 0);
  CHECK_FALSE(outcome.is_error);
  CHECK_THAT(outcome.output, Catch::Contains("up") && Catch::Contains("publish") && Catch::Contains("query"));
  auto up_help = parse({"up", "--help"});
  CHECK(up_help.exit_code == 0);
  CHECK_THAT(up_help.output, Catch::Contains("--ephemeral-ports") && Catch::Contains("--data-dir"));
}

TEST_CASE("usage errors exit 2") {
  for (auto args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"publish"},
           {"query"},
           {"query", "counts"},                               // --tenant is required
           {"query", "learner", "--tenant", "t"},             // ID is required
           {"up", "--port-base", "7000", "--ephemeral-ports"},
           {"up", "--port-base", "80"},
           {"up", "--port-base", "abc"},
           {"up", "--services", "ingest,nope"},
           {"up", "--database-url", "host=db"},
           {"publish", "f.json", "--batch-size", "1001"},
           {"publish", "f.json", "--ingest", "nohostport"},
           {"query", "counts", "--tenant", "t", "--from", "2026-13-01"},
           {"query", "counts", "--tenant", "t", "--from", "2026-11-02", "--to", "2026-11-01"},
       }) {
    auto outcome = parse(args);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.is_error);
    CHECK_FALSE(outcome.command.has_value());
    CHECK_FALSE(outcome.output.empty());
  }
}

TEST_CASE("up defaults") {
  auto up = command<UpOptions>(parse({"up"}));
  CHECK(up.kafka_bootstrap.empty());
  CHECK(up.database_url.empty());
  CHECK(up.data_dir.empty());
  CHECK(up.ports.mode == PortPlan::Mode::kDefault);
  CHECK(up.services == std::vector<std::string>{"ingest", "analytics", "rules", "summaries", "notify", "gateway"});
  CHECK(up.endpoints_file == ".edfleet/endpoints.json");
  CHECK(up.stop_timeout == std::chrono::seconds(15));
  CHECK(up.colour == ColourMode::kAuto);
}

TEST_CASE("up options and environment fallbacks") {
  Environment env(std::map<std::string, std::string>{{"EDFLEET_KAFKA_BOOTSTRAP_SERVERS", "k:9092"},
                   {"DATABASE_URL", "postgresql://u@db/app"},
                   {"EDFLEET_BIN_DIR", "/opt/edfleet/bin"}});
  auto from_env = command<UpOptions>(parse({"up"}, env));
  CHECK(from_env.kafka_bootstrap == "k:9092");
  CHECK(from_env.database_url == "postgresql://u@db/app");
  CHECK(from_env.bin_dir == "/opt/edfleet/bin");

  auto flags = command<UpOptions>(parse({"up", "--kafka-bootstrap", "x:1", "--data-dir", "/d", "--pg-port", "5555",
                                         "--port-base", "17000", "--services", "analytics,ingest",
                                         "--log-level", "debug", "--color", "never", "--stop-timeout", "3"},
                                        env));
  CHECK(flags.kafka_bootstrap == "x:1");
  CHECK(flags.data_dir == "/d");
  CHECK(flags.endpoints_file == "/d/endpoints.json");
  CHECK(flags.pg_port == 5555);
  CHECK(flags.ports.mode == PortPlan::Mode::kShifted);
  CHECK(flags.ports.base == 17000);
  CHECK(flags.services == std::vector<std::string>{"ingest", "analytics"});
  CHECK(flags.log_level == "debug");
  CHECK(flags.colour == ColourMode::kNever);
  CHECK(flags.stop_timeout == std::chrono::seconds(3));

  auto eph = command<UpOptions>(parse({"up", "--ephemeral-ports"}));
  CHECK(eph.ports.mode == PortPlan::Mode::kEphemeral);
}

TEST_CASE("publish options") {
  auto p = command<PublishOptions>(parse({"publish", "events.jsonl", "--tenant", "acme", "--batch-size", "250",
                                          "--ingest", "127.0.0.1:9000", "--json"}));
  CHECK(p.file == "events.jsonl");
  CHECK(p.tenant == "acme");
  CHECK(p.batch_size == 250);
  CHECK(p.ingest == "127.0.0.1:9000");
  CHECK(p.json);
  CHECK(p.endpoints_file == ".edfleet/endpoints.json");

  auto stdin_p = command<PublishOptions>(parse({"publish", "-", "--data-dir", "/d"}));
  CHECK(stdin_p.file == "-");
  CHECK(stdin_p.batch_size == 1000);
  CHECK(stdin_p.endpoints_file == "/d/endpoints.json");

  auto env_p = command<PublishOptions>(parse({"publish", "-"}, Environment(std::map<std::string, std::string>{{"EDFLEET_ENDPOINTS_FILE", "/e.json"}})));
  CHECK(env_p.endpoints_file == "/e.json");
}

TEST_CASE("query options") {
  auto c = command<QueryCountsOptions>(parse({"query", "counts", "--tenant", "acme", "--from", "2026-11-01",
                                              "--to", "2026-11-30", "--type", "quiz.submitted", "--type",
                                              "xapi.statement", "--json"}));
  CHECK(c.tenant == "acme");
  CHECK(c.from_day == "2026-11-01");
  CHECK(c.to_day == "2026-11-30");
  CHECK(c.types == std::vector<std::string>{"quiz.submitted", "xapi.statement"});
  CHECK(c.json);

  auto l = command<QueryLearnerOptions>(parse({"query", "learner", "L-1", "--tenant", "acme", "--analytics", "h:1"}));
  CHECK(l.learner_id == "L-1");
  CHECK(l.tenant == "acme");
  CHECK(l.analytics == "h:1");
  CHECK_FALSE(l.json);
}

TEST_CASE("keys create|list|revoke") {
  auto create = command<KeysOptions>(parse({"keys", "create", "--tenant", "acme", "--name", "ops laptop", "--role",
                                            "admin", "--role", "operator", "--database-url",
                                            "postgresql://postgres@127.0.0.1:5/edfleet_gateway"}));
  CHECK(create.action == KeysOptions::Action::kCreate);
  CHECK(create.tenant == "acme");
  CHECK(create.name == "ops laptop");
  CHECK(create.roles == std::vector<std::string>{"admin", "operator"});
  CHECK(create.database_url == "postgresql://postgres@127.0.0.1:5/edfleet_gateway");

  auto list = command<KeysOptions>(parse({"keys", "list", "--tenant", "acme", "--json", "--endpoints", "/e.json"}));
  CHECK(list.action == KeysOptions::Action::kList);
  CHECK(list.json);
  CHECK(list.endpoints_file == "/e.json");
  CHECK(list.database_url.empty());

  auto env = Environment(std::map<std::string, std::string>{{"EDFLEET_GATEWAY_POSTGRES_URL", "postgresql://h/g"}});
  auto revoke = command<KeysOptions>(parse({"keys", "revoke", "efk_0123456789abcdef", "--tenant", "acme"}, env));
  CHECK(revoke.action == KeysOptions::Action::kRevoke);
  CHECK(revoke.id == "efk_0123456789abcdef");
  CHECK(revoke.database_url == "postgresql://h/g");

  for (auto args : std::vector<std::vector<std::string>>{
           {"keys"},
           {"keys", "create", "--tenant", "acme", "--name", "n"},        // no role
           {"keys", "create", "--name", "n", "--role", "admin"},         // no tenant
           {"keys", "list"},
           {"keys", "revoke", "--tenant", "acme"},                        // no id
       }) {
    auto outcome = parse(args);
    INFO(args.size());
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.is_error);
  }
}

TEST_CASE("rules apply|list|install") {
  auto apply = command<RulesOptions>(parse({"rules", "apply", "my.rules", "--tenant", "acme", "--rules", "127.0.0.1:7201"}));
  CHECK(apply.action == RulesOptions::Action::kApply);
  CHECK(apply.file == "my.rules");
  CHECK(apply.tenant == "acme");
  CHECK(apply.rules == "127.0.0.1:7201");

  auto list = command<RulesOptions>(parse({"rules", "list", "--tenant", "acme", "--all", "--json"}));
  CHECK(list.action == RulesOptions::Action::kList);
  CHECK(list.include_disabled);
  CHECK(list.json);

  auto install = command<RulesOptions>(parse({"rules", "install", "learning", "--tenant", "acme", "--timeout", "5"}));
  CHECK(install.action == RulesOptions::Action::kInstall);
  CHECK(install.pack == "learning");
  CHECK(install.timeout == std::chrono::seconds(5));

  auto env_tenant = command<RulesOptions>(
      parse({"rules", "list"}, Environment(std::map<std::string, std::string>{{"EDFLEET_TENANT", "t2"}})));
  CHECK(env_tenant.tenant == "t2");

  for (auto args : std::vector<std::vector<std::string>>{
           {"rules"},
           {"rules", "apply", "--tenant", "acme"},                 // no file
           {"rules", "list"},                                      // no tenant
           {"rules", "install", "--tenant", "acme"},               // no pack
           {"rules", "list", "--tenant", "acme", "--rules", "nope"},
       }) {
    auto outcome = parse(args);
    INFO(args.size());
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.is_error);
  }
}
