// xAPI statement validation: every rule of the xAPI Data part (1.0.3 and 2.0) that can be checked on a
// statement by itself, over nlohmann::json. Pure domain code; the Statements resource calls it before
// anything is published.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "domain/xapi/formats.h"
#include "edfleet/core/result.h"

namespace edfleet::ingest::xapi {

// The reserved verb of a voiding statement.
inline constexpr std::string_view kVoidedVerb = "http://adlnet.gov/expapi/verbs/voided";

// How a statement is judged: the version in use (from X-Experience-API-Version) decides the timestamp
// syntax and which optional properties exist (2.0: context.contextAgents / contextGroups).
struct ValidationOptions {
  Version version = Version::k1_0;
};

// Checks one statement as a client sent it (id, stored, authority, version may be present or not).
// On the first broken rule returns Error::invalid with `field` the JSON path of the offending value
// ("context.contextActivities.parent[0].id", "" for the statement itself) and a message naming the path,
// the rule and what was found, e.g. "actor.mbox must be a mailto IRI (mailto:name@example.com); got
// \"ada@example.com\"". `path_prefix` is put before every path (e.g. "[3]" for a batch element).
core::Result<void> validate_statement(const nlohmann::json& statement, const ValidationOptions& options,
                                      const std::string& path_prefix = {});

}  // namespace edfleet::ingest::xapi
