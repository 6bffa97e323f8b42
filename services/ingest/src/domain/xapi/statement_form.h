// Statement forms the LRS derives from a statement: the comparison form (xAPI Data "Statement
// comparison requirements") with its hash, and the canonical key of an actor.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/xapi/formats.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"

namespace edfleet::ingest::xapi {

// The statement reduced to what makes it "the same statement" (Data 2.3.1, Statement Immutability and the
// Statement Comparison Requirements): without the LRS-assigned authority, stored and version; timestamps as
// UTC instants; without the Verb's display and Activity definitions (not part of the statement); Agents
// without the optional objectType, the mbox scheme and domain lower-cased, Group members in a fixed order;
// contextActivities always as arrays; UUIDs (id, registration, StatementRef ids), mbox_sha1sum, attachment
// sha2, context.language and attachment language-map keys lower-cased; score numbers by value; durations
// to 0.01 s (Data 4.6). Expects a valid statement (validate_statement first).
nlohmann::json comparison_form(const nlohmann::json& statement);

// What the LRS changes in an accepted statement before storing it:
//  - every version: a contextActivities property given as a single Activity (parent, grouping, category,
//    other; in the statement and in a SubStatement) becomes an array of that one Activity (Data 2.4.6.2:
//    "the LRS MUST return every value in the contextActivities Object as an array");
//  - under 2.0 the timestamps (statement and SubStatement) are rewritten as the same instant in UTC
//    (Data 4.5: the LRS SHOULD* return UTC). 1.0.3 statements otherwise keep their serialisation.
// Call after validate_statement; it does not change the comparison hash (the comparison form makes the
// same changes itself).
void normalise_for_storage(nlohmann::json& statement, Version version);

// Whether normalise_for_storage would change `statement`: lets the write path store most statements
// without copying them.
bool changed_for_storage(const nlohmann::json& statement, Version version);

// What GET answers of a stored statement, for a request of `version`: contextActivities given as single
// objects as arrays (Data 2.4.6.2; statements stored before the LRS made them arrays on write), and under
// 2.0 every timestamp (statement, SubStatement) as the same instant in UTC (Data 4.5: the LRS SHOULD*
// return UTC; statements stored under 1.0.3 keep the zone they were sent with).
void normalise_for_answer(nlohmann::json& statement, Version version);

// normalise_for_answer on a stored statement's text (the exact format). Returns the text as it is,
// without parsing it, when nothing needs changing: what the LRS stores now.
std::string as_answered(const std::string& statement_text, Version version);

// SHA-256 (hex) of the comparison form's canonical serialisation (keys sorted): equal hashes mean
// equal statements by the spec's comparison rules.
std::string comparison_hash(const nlohmann::json& statement);

// A stable text naming an Agent or Group by its identifier, used as the learner id of the event and in
// the Kafka key: "mbox:mailto:ada@example.com", "mbox_sha1sum:<hex>", "openid:<uri>",
// "account:<homePage>#<name>"; an anonymous Group is "group:sha256:<hash of its members>". Texts over
// 256 characters are replaced by "sha256:<hash>" (subject ids are limited to 256).
std::string actor_key(const nlohmann::json& actor);

// GET format=ids: Agents and Groups reduced to their identifier (anonymous Groups keep identified
// members), Activities to id (and objectType), Verbs to id. Other properties stay.
nlohmann::json ids_format(const nlohmann::json& statement);

// GET format=canonical: every language map (Verb display, Activity name/description, interaction
// component and attachment display/descriptions, in the statement and its SubStatement and context
// activities) reduced to the one entry that best matches `languages` (Accept-Language ranges, most
// preferred first, matched as RFC 2616 14.4 says: the longest range equal to the tag or a prefix of it
// followed by "-" gives its quality, "*" any other tag; when no range matches any entry, one of the same
// primary language, else the first entry).
nlohmann::json canonical_format(const nlohmann::json& statement, const std::vector<std::string>& languages);

// The language ranges of an Accept-Language header, most preferred first ("fr-CH, fr;q=0.9, *;q=0.1").
std::vector<std::string> accepted_languages(std::string_view header);

// What the statements table indexes of a stored statement (one the LRS accepted: id and stored set).
struct StatementColumns {
  std::string statement_id;                      // lower-case
  core::Timestamp stored;
  std::string actor_key;
  std::optional<std::string> object_agent_key;   // object is an Agent or Group
  std::string verb_id;
  std::optional<std::string> activity_id;        // object is an Activity
  std::optional<std::string> registration;       // context.registration, lower-case
  std::optional<std::string> voids;              // a voiding statement's target id, lower-case
  std::optional<std::string> statement_ref;      // the target id of a StatementRef object (any verb), lower-case
  std::vector<std::string> related_agents;       // actor keys of every Agent/Group mentioned (unique)
  std::vector<std::string> related_activities;   // ids of every Activity mentioned (unique)
};

// Fails (kInvalidArgument) when the statement lacks what the LRS always sets (id, stored) or is not a
// statement at all: the materialiser treats that as a poison record.
core::Result<StatementColumns> columns_of(const nlohmann::json& statement);

}  // namespace edfleet::ingest::xapi
