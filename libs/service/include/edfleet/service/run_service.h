// run_service: the whole main() of an edfleet service, minus its wiring.
#pragma once

#include <functional>
#include <string>

#include "edfleet/core/config.h"
#include "edfleet/service/service_host.h"

namespace edfleet::service {

// Parses the command line (--config FILE or --config=FILE, --help/-h; the config path defaults to
// $EDFLEET_CONFIG), binds the common keys and then the service's own (`bind_keys`), loads the
// configuration (file, then environment overrides EDFLEET_<NAME>_<KEY> / EDFLEET_<KEY>), validates
// the common keys, initialises logging, builds a ServiceHost, lets `wire` add services, routes and
// loops to it, and runs it. Returns the exit code: 0 after a clean stop or --help, 2 for a usage or
// configuration error (with a message naming the key on stderr), 1 if wiring throws or the service
// fails (see ServiceHost::run). `name` is the short service name ("rules"); the binary is
// edfleet-<name>.
// `defaults` are the common keys' defaults for this service (the gateway's differ: it has an admin
// port, because its HTTP port is public).
int run_service(int argc, char** argv, std::string name, std::function<void(core::ConfigSpec&)> bind_keys,
                std::function<void(ServiceHost&)> wire, CommonConfig defaults = {});

// The parsed command line, exposed for tests.
struct CommandLine {
  std::string config_path;
  bool help = false;
  std::string error;  // non-empty for an unknown or incomplete argument
};
CommandLine parse_command_line(int argc, const char* const* argv, const core::Environment& env);

}  // namespace edfleet::service
