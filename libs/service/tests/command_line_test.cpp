#include "edfleet/service/run_service.h"

#include <catch2/catch.hpp>

using edfleet::core::Environment;
using edfleet::service::parse_command_line;

namespace {

edfleet::service::CommandLine parse(std::vector<const char*> args, const Environment& env = Environment()) {
  args.insert(args.begin(), "edfleet-rules");
  return parse_command_line(static_cast<int>(args.size()), args.data(), env);
}

}  // namespace

TEST_CASE("--config takes the next argument or an = value") {
  CHECK(parse({"--config", "a.yaml"}).config_path == "a.yaml");
  CHECK(parse({"--config=b.yaml"}).config_path == "b.yaml");
  CHECK(parse({}).config_path.empty());
  CHECK(parse({}).error.empty());
}

TEST_CASE("EDFLEET_CONFIG is the default config path; --config wins over it") {
  Environment env(std::map<std::string, std::string>{{"EDFLEET_CONFIG", "/etc/edfleet/rules.yaml"}});
  CHECK(parse({}, env).config_path == "/etc/edfleet/rules.yaml");
  CHECK(parse({"--config", "local.yaml"}, env).config_path == "local.yaml");
}

TEST_CASE("--help and -h ask for help") {
  CHECK(parse({"--help"}).help);
  CHECK(parse({"-h"}).help);
  CHECK_FALSE(parse({}).help);
}

TEST_CASE("unknown or incomplete arguments are errors that name them") {
  CHECK_THAT(parse({"--port", "7"}).error, Catch::Contains("--port"));
  CHECK_THAT(parse({"--config"}).error, Catch::Contains("--config"));
}
