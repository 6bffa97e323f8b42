// edfleet-sim: the traffic simulator as a standalone binary; `edfleet sim` runs the same code.
#include "edfleet/sim/sim_command.h"

int main(int argc, char** argv) { return edfleet::sim::run_sim_command(argc - 1, argv + 1); }
