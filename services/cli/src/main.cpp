// edfleet: the operator's command. Composition root only: parse, then run one command.
#include <iostream>
#include <string_view>
#include <variant>

#include "commands.h"
#include "edfleet/core/config.h"
#include "edfleet/sim/sim_command.h"
#include "options.h"

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

int main(int argc, char** argv) {
  using namespace edfleet::cli;
  // `edfleet sim ...` is the traffic simulator (services/sim), which parses its own options.
  if (argc >= 2 && std::string_view(argv[1]) == "sim") return edfleet::sim::run_sim_command(argc - 2, argv + 2);
  auto outcome = parse_command_line(argc, argv, edfleet::core::Environment::from_process());
  if (!outcome.command) {
    (outcome.is_error ? std::cerr : std::cout) << outcome.output << std::flush;
    return outcome.exit_code;
  }
  try {
    return std::visit(
        Overloaded{
            [](const UpOptions& o) { return run_up(o); },
            [](const PublishOptions& o) { return run_publish(o, std::cin, std::cout, std::cerr); },
            [](const QueryCountsOptions& o) { return run_query_counts(o, std::cout, std::cerr); },
            [](const QueryLearnerOptions& o) { return run_query_learner(o, std::cout, std::cerr); },
            [](const KeysOptions& o) { return run_keys(o, std::cout, std::cerr); },
            [](const RulesOptions& o) { return run_rules(o, std::cin, std::cout, std::cerr); },
        },
        *outcome.command);
  } catch (const std::exception& e) {
    std::cerr << "edfleet: " << e.what() << "\n";
    return kExitFailure;
  }
}
