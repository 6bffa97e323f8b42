// Planning a simulated run: which tenant and cohort each stream gets, how many events it sends, and
// where its timeline sits in time.
//
// The time scale (simulated seconds per wall second) sizes each stream's cohort so that its events,
// sent at `rate` per second, cover about `time_scale` simulated seconds per second of the run (a
// cohort has at least 3 and at most 2000 learners, so extreme scales are approximated). The exact
// span is found by generating the events once (a dry run: generation is cheap and deterministic):
// the timeline starts at --start-time (an error if it would end over 23 h from now), or is placed
// so that it ends by about now (see plan_run).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "domain/stream_generator.h"
#include "domain/world.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"

namespace edfleet::sim {

struct PlanInput {
  std::uint64_t seed = 42;
  int streams = 50;
  int tenants = 3;
  double rate = 5;                         // events per second per stream
  double time_scale = 3600;                // simulated seconds per wall-clock second (a target)
  std::optional<std::uint64_t> count;      // total events; when unset, rate x duration per stream
  std::chrono::milliseconds duration{10000};
  std::optional<core::Timestamp> start_time;
};

struct StreamPlan {
  StreamSpec spec;
  std::uint64_t events = 0;
};

struct RunPlan {
  std::vector<StreamPlan> streams;
  Cohort cohort;                           // every stream's cohort
  std::uint64_t total_events = 0;
  core::Timestamp first_event;             // the simulated span over all streams
  core::Timestamp last_event;
};

core::Result<RunPlan> plan_run(const PlanInput& input, core::Timestamp now);

}  // namespace edfleet::sim
