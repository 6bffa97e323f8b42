#include "edfleet/service/run_service.h"

#include <csignal>
#include <cstdio>
#include <exception>
#include <string_view>

#include "edfleet/core/log.h"

namespace edfleet::service {

CommandLine parse_command_line(int argc, const char* const* argv, const core::Environment& env) {
  CommandLine cmd;
  bool config_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      cmd.help = true;
    } else if (arg == "--config") {
      if (i + 1 >= argc) {
        cmd.error = "--config needs a file name";
        return cmd;
      }
      cmd.config_path = argv[++i];
      config_given = true;
    } else if (arg.starts_with("--config=")) {
      cmd.config_path = std::string(arg.substr(9));
      config_given = true;
    } else {
      cmd.error = "unknown argument '" + std::string(arg) + "'";
      return cmd;
    }
  }
  if (!config_given) cmd.config_path = env.get("EDFLEET_CONFIG").value_or("");
  return cmd;
}

namespace {

std::string usage(const std::string& program) {
  return "Usage: " + program +
         " [--config FILE] [--help]\n"
         "  --config FILE  YAML configuration (default: $EDFLEET_CONFIG; none = built-in defaults)\n"
         "  --help         this text\n"
         "Stops gracefully on SIGTERM or SIGINT.\n";
}

}  // namespace

int run_service(int argc, char** argv, std::string name, std::function<void(core::ConfigSpec&)> bind_keys,
                std::function<void(ServiceHost&)> wire, CommonConfig defaults) {
  // First thing: no thread may exist yet that could take SIGTERM/SIGINT instead of sigwait.
  block_stop_signals();
  std::signal(SIGPIPE, SIG_IGN);  // a peer closing a socket is an error return, not a process kill

  const std::string program = "edfleet-" + name;
  auto env = core::Environment::from_process();
  auto cmd = parse_command_line(argc, argv, env);
  if (!cmd.error.empty()) {
    std::fprintf(stderr, "%s: %s\n%s", program.c_str(), cmd.error.c_str(), usage(program).c_str());
    return 2;
  }

  core::ConfigSpec spec(name);
  CommonConfig common = std::move(defaults);
  bind_common(spec, common);
  if (bind_keys) bind_keys(spec);

  if (cmd.help) {
    std::fprintf(stdout, "%s\nConfiguration keys (file or environment):\n%s", usage(program).c_str(),
                 spec.describe().c_str());
    return 0;
  }

  // Errors already name the key (and the file or environment variable it came from).
  auto report = [&](const core::Error& error) {
    std::fprintf(stderr, "%s: configuration error: %s\n", program.c_str(), error.message.c_str());
    return 2;
  };
  if (auto loaded = spec.load(cmd.config_path, env); !loaded) return report(loaded.error());
  if (auto valid = validate(common); !valid) return report(valid.error());

  core::log::init(name, common.log_level);
  try {
    ServiceHost host(name, common);
    if (wire) wire(host);
    return host.run();
  } catch (const std::exception& e) {
    core::log::error("service failed", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace edfleet::service
