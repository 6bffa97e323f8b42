// The commands, each returning the process exit code (0 ok, 1 failure). They print to the
// streams they are given (user output, not logs), so tests can run them in-process.
#pragma once

#include <iosfwd>

#include "options.h"

namespace edfleet::cli {

// `edfleet up`: runs the fleet in the foreground until SIGINT/SIGTERM or a service dies.
int run_up(const UpOptions& options);

// `edfleet publish`: events from a file (or `in` for "-") to ingest's Publish, in batches.
int run_publish(const PublishOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

// `edfleet query counts` / `edfleet query learner`.
int run_query_counts(const QueryCountsOptions& options, std::ostream& out, std::ostream& err);
int run_query_learner(const QueryLearnerOptions& options, std::ostream& out, std::ostream& err);

// `edfleet keys create|list|revoke` (the gateway's API keys, in its database).
int run_keys(const KeysOptions& options, std::ostream& out, std::ostream& err);

// `edfleet rules apply|list|install` (RulesService; `in` for `apply -`).
int run_rules(const RulesOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace edfleet::cli
