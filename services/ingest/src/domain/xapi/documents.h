// The xAPI document resources (Communication part, 2.2-2.7 and 3.1): State, Activity Profile and Agent
// Profile documents, plus the Person and Activity objects of the Agents and Activities resources.
// Pure domain code: which parameters each resource takes, the If-Match / If-None-Match decisions, the
// JSON merge of POST, and the use case that applies them atomically through the XapiDocumentStore port.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/xapi/formats.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"

namespace edfleet::ingest {
class XapiDocumentStore;
}

namespace edfleet::ingest::xapi {

enum class DocumentKind { kState, kActivityProfile, kAgentProfile };
enum class DocumentMethod { kGet, kPut, kPost, kDelete };

// "activities/state", "activities/profile", "agents/profile" (for messages).
std::string_view document_resource(DocumentKind kind);
// "stateId" or "profileId".
std::string_view document_id_parameter(DocumentKind kind);

// Every coordinate of a document but its id: the documents one ids list or State DELETE covers.
// Unused coordinates are empty. A State without registration is its own document, distinct from the
// same stateId under a registration; the ids list and DELETE of all State without registration cover
// every registration ("Activity + Agent [+ registration if specified]", Communication 2.3).
struct DocumentScope {
  std::string tenant;
  DocumentKind kind = DocumentKind::kState;
  std::string activity_id;                  // State, Activity Profile
  std::string agent_key;                    // State, Agent Profile: xapi::actor_key of the agent
  std::optional<std::string> registration;  // State only; lower-case UUID
};

struct DocumentKey {
  DocumentScope scope;
  std::string id;
};

// A stored document: the bytes and Content-Type exactly as sent (or as merged), the ETag (the SHA-1 of
// the content, lower-case hex, unquoted) and when it was last written.
struct Document {
  std::string content;
  std::string content_type;
  std::string etag;
  core::Timestamp updated;
};

struct DocumentListEntry {
  std::string id;
  core::Timestamp updated;
};

// What a request addresses after its query parameters were checked.
struct DocumentTarget {
  DocumentScope scope;
  std::optional<std::string> id;         // absent: the ids list (GET) or all State of the scope (DELETE)
  std::optional<core::Timestamp> since;  // ids list only: updated strictly after
};

// Checks the query parameters of a document request against what the resource and method take
// (unknown, repeated, missing and malformed parameters are kInvalidArgument naming the parameter) and
// returns the document(s) addressed within `tenant`.
core::Result<DocumentTarget> parse_document_target(DocumentKind kind, DocumentMethod method,
                                                   const std::multimap<std::string, std::string>& params,
                                                   const std::string& tenant, Version version);

// The `agent` parameter (JSON text): an Agent by the statement rules, not a Group (Communication 2.3,
// 2.4, 2.6). Returns the parsed Agent.
core::Result<nlohmann::json> parse_agent_parameter(std::string_view text, Version version);

// The concurrency headers as sent (absent when the header is missing), and the request's xAPI version:
// the rules for a PUT without either header differ (2.0 also guards the State resource).
struct Preconditions {
  std::optional<std::string> if_match;
  std::optional<std::string> if_none_match;
  Version version = Version::k1_0;
};

// The ETag as a header value: the hex digest in double quotes.
std::string quoted_etag(std::string_view etag);

// Decides a write or delete against the current document (nullptr when there is none) by Communication
// 3.1: a failed If-Match / If-None-Match is kFailedPrecondition (412). A PUT with neither header: to an
// existing Activity or Agent Profile document, and under 2.0 to an existing State document, kConflict
// (409); to an Activity or Agent Profile document that does not exist, kInvalidArgument (400: the client
// MUST send one of them). OK when the request may go on.
core::Result<void> check_preconditions(DocumentKind kind, DocumentMethod method, const Preconditions& preconditions,
                                       const Document* current);

// True for application/json, with or without parameters (charset), case-insensitively.
bool is_json_content_type(std::string_view content_type);

// The POST merge of Communication 2.2: both documents must be application/json JSON Objects; the posted
// top-level properties replace the existing ones. Returns the merged JSON text, or kInvalidArgument.
core::Result<std::string> merge_json_documents(const Document& existing, std::string_view posted,
                                               std::string_view posted_content_type);

// A document as a request brings it.
struct IncomingDocument {
  std::string content;
  std::string content_type;
};

// What a write decided, for the store to apply in the same transaction it read the current document.
struct DocumentChange {
  enum class Action { kNone, kWrite, kDelete };
  Action action = Action::kNone;
  IncomingDocument document;  // kWrite
  core::Timestamp updated{};  // kWrite
};

// The document resources' use case: every write reads the current document, decides (preconditions,
// merge) and writes inside one XapiDocumentStore::modify call, so a concurrent writer can never slip in
// between the ETag check and the write.
class DocumentService {
 public:
  DocumentService(XapiDocumentStore& store, core::Clock& clock);

  core::Result<void> put(const DocumentKey& key, IncomingDocument document, const Preconditions& preconditions);
  core::Result<void> post(const DocumentKey& key, IncomingDocument document, const Preconditions& preconditions);
  // kNotFound when there is no such document.
  core::Result<Document> get(const DocumentKey& key);
  std::vector<DocumentListEntry> list(const DocumentScope& scope, std::optional<core::Timestamp> since);
  // Deleting a document that does not exist succeeds (204), unless If-Match says it must exist.
  core::Result<void> remove(const DocumentKey& key, const Preconditions& preconditions);
  void remove_all(const DocumentScope& scope);

 private:
  XapiDocumentStore& store_;
  core::Clock& clock_;
};

// The Person object of the Agents resource (Communication 2.4): the agent's identifier and name, plus
// the other names the LRS has seen for the same agent, each property an array, no duplicates.
nlohmann::json person_object(const nlohmann::json& agent, const std::vector<std::string>& known_names);

// The Activity object of the Activities resource (Communication 2.5): every definition the statements
// give activity `id` (as object, context activity, or inside a SubStatement), merged oldest first: a
// later definition replaces a property, except language maps and extensions, merged key by key. Only
// the id when no statement defines it (the spec: still return an Activity Object).
nlohmann::json activity_object(const std::string& id, const std::vector<nlohmann::json>& statements_oldest_first);

}  // namespace edfleet::ingest::xapi
