#include "domain/xapi/documents.h"

#include <algorithm>
#include <set>

#include "domain/xapi/statement_form.h"
#include "domain/xapi/statement_validation.h"
#include "edfleet/core/ids.h"
#include "ports/xapi_document_store.h"

namespace edfleet::ingest::xapi {
namespace {

using nlohmann::json;

constexpr std::string_view kAgent = "agent";
constexpr std::string_view kActivityId = "activityId";
constexpr std::string_view kRegistration = "registration";
constexpr std::string_view kSince = "since";

std::string_view method_name(DocumentMethod method) {
  switch (method) {
    case DocumentMethod::kGet: return "GET";
    case DocumentMethod::kPut: return "PUT";
    case DocumentMethod::kPost: return "POST";
    case DocumentMethod::kDelete: return "DELETE";
  }
  return "?";
}

std::string_view document_noun(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kState: return "State document";
    case DocumentKind::kActivityProfile: return "Activity Profile document";
    case DocumentKind::kAgentProfile: return "Agent Profile document";
  }
  return "document";
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// Whether an If-Match / If-None-Match list names `etag`. Entity tags are compared strongly (RFC 7232
// 3.1): a weak tag (W/"...") never matches. Quotes are optional here because some clients drop them.
bool lists_etag(std::string_view header, std::string_view etag) {
  std::size_t start = 0;
  while (start <= header.size()) {
    auto end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string tag = trim(header.substr(start, end - start));
    start = end + 1;
    if (tag.starts_with("W/")) continue;
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') tag = tag.substr(1, tag.size() - 2);
    if (!tag.empty() && to_lower(tag) == etag) return true;
  }
  return false;
}

// Which parameters a resource takes (besides since, which only the ids list takes).
std::set<std::string, std::less<>> parameters_of(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kState: return {"activityId", "agent", "registration", "stateId", "since"};
    case DocumentKind::kActivityProfile: return {"activityId", "profileId", "since"};
    case DocumentKind::kAgentProfile: return {"agent", "profileId", "since"};
  }
  return {};
}

void merge_definition(json& into, const json& definition) {
  for (const auto& [name, value] : definition.items()) {
    const bool by_key = name == "name" || name == "description" || name == "extensions";
    if (by_key && value.is_object() && into.contains(name) && into[name].is_object()) {
      for (const auto& [key, entry] : value.items()) into[name][key] = entry;
    } else {
      into[name] = value;
    }
  }
}

// Every Activity object in `statement` with id `id`: the object, the context activities, and the same
// inside a SubStatement object.
void collect_definitions(const json& statement, const std::string& id, std::vector<json>& out) {
  if (!statement.is_object()) return;
  const auto consider = [&](const json& activity) {
    if (activity.is_object() && activity.value("id", json()) == id &&
        activity.value("objectType", json("Activity")) == "Activity" && activity.contains("definition") &&
        activity["definition"].is_object()) {
      out.push_back(activity["definition"]);
    }
  };
  if (statement.contains("object")) {
    const json& object = statement["object"];
    consider(object);
    if (object.is_object() && object.value("objectType", json()) == "SubStatement") collect_definitions(object, id, out);
  }
  if (statement.contains("context") && statement["context"].is_object() &&
      statement["context"].contains("contextActivities") && statement["context"]["contextActivities"].is_object()) {
    for (const auto& [group, entries] : statement["context"]["contextActivities"].items()) {
      if (entries.is_array()) {
        for (const auto& activity : entries) consider(activity);
      } else {
        consider(entries);
      }
    }
  }
}

}  // namespace

std::string_view document_resource(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kState: return "activities/state";
    case DocumentKind::kActivityProfile: return "activities/profile";
    case DocumentKind::kAgentProfile: return "agents/profile";
  }
  return "?";
}

std::string_view document_id_parameter(DocumentKind kind) {
  return kind == DocumentKind::kState ? "stateId" : "profileId";
}

core::Result<json> parse_agent_parameter(std::string_view text, Version version) {
  json agent = json::parse(text, nullptr, false);
  if (!agent.is_object()) {
    return core::Error::invalid("agent must be an Agent object as JSON, e.g. {\"mbox\":\"mailto:ada@example.com\"}; "
                                "got \"" + std::string(text) + "\".",
                                std::string(kAgent));
  }
  if (agent.contains("objectType") && agent["objectType"] == "Group") {
    return core::Error::invalid("agent must be an Agent, not a Group; to address an identified Group use its "
                                "identifier in an Agent object.",
                                std::string(kAgent));
  }
  // The statement rules judge an Agent where it stands as the actor of an otherwise valid statement.
  json probe = json::object();
  probe["actor"] = agent;
  probe["verb"] = json{{"id", "http://adlnet.gov/expapi/verbs/experienced"}};
  probe["object"] = json{{"id", "http://example.com/xapi/document-parameter"}};
  const auto valid = validate_statement(probe, ValidationOptions{version});
  if (!valid) {
    std::string message = valid.error().message;
    std::string field = valid.error().field;
    if (message.starts_with("actor")) message = std::string(kAgent) + message.substr(5);
    if (field.starts_with("actor")) field = std::string(kAgent) + field.substr(5);
    return core::Error::invalid(message, field.empty() ? std::string(kAgent) : field);
  }
  return agent;
}

core::Result<DocumentTarget> parse_document_target(DocumentKind kind, DocumentMethod method,
                                                   const std::multimap<std::string, std::string>& params,
                                                   const std::string& tenant, Version version) {
  const std::string where = std::string(method_name(method)) + " /" + std::string(document_resource(kind));
  const auto allowed = parameters_of(kind);
  for (const auto& [name, value] : params) {
    if (!allowed.contains(name)) {
      return core::Error::invalid("Unknown parameter \"" + name + "\" for " + where + ".", name);
    }
    if (params.count(name) > 1) return core::Error::invalid("Parameter \"" + name + "\" is given more than once.", name);
  }
  const auto get = [&](std::string_view name) -> std::optional<std::string> {
    const auto it = params.find(std::string(name));
    if (it == params.end()) return std::nullopt;
    return it->second;
  };
  const auto required = [&](std::string_view name) -> core::Result<std::string> {
    auto value = get(name);
    if (!value) return core::Error::invalid(where + " requires the " + std::string(name) + " parameter.", std::string(name));
    return *value;
  };

  DocumentTarget target;
  target.scope.tenant = tenant;
  target.scope.kind = kind;
  if (kind != DocumentKind::kAgentProfile) {
    auto activity = required(kActivityId);
    if (!activity) return activity.error();
    if (!is_iri(*activity)) {
      return core::Error::invalid("activityId must be an IRI; got \"" + *activity + "\".", std::string(kActivityId));
    }
    target.scope.activity_id = *activity;
  }
  if (kind != DocumentKind::kActivityProfile) {
    auto text = required(kAgent);
    if (!text) return text.error();
    auto agent = parse_agent_parameter(*text, version);
    if (!agent) return agent.error();
    target.scope.agent_key = actor_key(*agent);
  }
  if (auto registration = get(kRegistration)) {
    if (!core::is_uuid(*registration)) {
      return core::Error::invalid("registration must be a UUID; got \"" + *registration + "\".",
                                  std::string(kRegistration));
    }
    target.scope.registration = to_lower(*registration);
  }
  const std::string_view id_name = document_id_parameter(kind);
  target.id = get(id_name);
  const bool id_required = method == DocumentMethod::kPut || method == DocumentMethod::kPost ||
                           (method == DocumentMethod::kDelete && kind != DocumentKind::kState);
  if (!target.id && id_required) {
    return core::Error::invalid(where + " requires the " + std::string(id_name) + " parameter.", std::string(id_name));
  }
  if (target.id && target.id->empty()) {
    return core::Error::invalid(std::string(id_name) + " must not be empty.", std::string(id_name));
  }
  if (auto since = get(kSince)) {
    if (method != DocumentMethod::kGet || target.id) {
      return core::Error::invalid("since only applies to the ids list (GET without " + std::string(id_name) + ").",
                                  std::string(kSince));
    }
    const auto t = parse_timestamp(*since, version);
    if (!t) return core::Error::invalid("since must be a timestamp; got \"" + *since + "\".", std::string(kSince));
    target.since = *t;
  }
  return target;
}

std::string quoted_etag(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

core::Result<void> check_preconditions(DocumentKind kind, DocumentMethod method, const Preconditions& preconditions,
                                       const Document* current) {
  // Communication 3.1 (1.0.3 and 2.0 alike), LRS Requirements: If-Match "as described in RFC2616 ... if it
  // contains an ETag" and If-None-Match "if it contains "*"" for PUT (MUST) and POST/DELETE (SHOULD*);
  // "If the header precondition ... fails, the LRS: MUST return HTTP status 412 Precondition Failed" and
  // "MUST NOT make a modification to the resource".
  const auto failed = [](std::string message) {
    return core::Error{core::ErrorCode::kFailedPrecondition, std::move(message), {}};
  };
  if (preconditions.if_match) {
    const std::string value = trim(*preconditions.if_match);
    if (current == nullptr) {
      return failed("If-Match is " + value + " but there is no such document; nothing was changed.");
    }
    if (value != "*" && !lists_etag(value, current->etag)) {
      return failed("If-Match " + value + " does not match the document's current ETag " +
                    quoted_etag(current->etag) + "; fetch the document again. Nothing was changed.");
    }
  }
  if (preconditions.if_none_match && current != nullptr) {
    const std::string value = trim(*preconditions.if_none_match);
    if (value == "*" || lists_etag(value, current->etag)) {
      return failed("If-None-Match is " + value + " but the document exists (ETag " + quoted_etag(current->etag) +
                    "); nothing was changed.");
    }
  }
  if (method != DocumentMethod::kPut || preconditions.if_match || preconditions.if_none_match) return {};
  // A PUT with neither header. Communication 3.1, Client Requirements: "A Client making a PUT request to
  // either the Agent Profile Resource or Activity Profile Resource MUST include the If-Match header or the
  // If-None-Match header" (1.0.3 and 2.0 alike), and "The State Resource will permit PUT, POST and DELETE
  // requests without concurrency headers" (1.0.3; the published 2.0 standard, Communication 4.1.4, guards
  // State PUTs too). LRS Requirements: "If a PUT request is received without either header for a resource
  // that already exists, the LRS: MUST return HTTP status 409 Conflict", explaining to check the current
  // state and set If-Match, and "MUST NOT make a modification to the resource".
  const bool guarded = kind != DocumentKind::kState || preconditions.version == Version::k2_0;
  if (!guarded) return {};
  if (current != nullptr) {
    return core::Error{core::ErrorCode::kConflict,
                       "The " + std::string(document_noun(kind)) +
                           " already exists and the PUT has neither If-Match nor If-None-Match: check the "
                           "document's current state (GET) and send If-Match with its current ETag " +
                           quoted_etag(current->etag) + ". Nothing was changed.",
                       "If-Match"};
  }
  // No document to conflict with, but the request lacks what the client MUST send: a missing argument,
  // 400 by Communication 3.2 (409 is for a conflict with a resource's current state, and 428 is not
  // among xAPI's error codes). State PUTs, which may go without the headers, are not refused here.
  if (kind != DocumentKind::kState) {
    return core::Error::invalid("A PUT of an " + std::string(document_noun(kind)) +
                                    " must have If-Match (with the document's current ETag) or If-None-Match: * "
                                    "(to create it only if there is none). Nothing was changed.",
                                "If-Match");
  }
  return {};
}

bool is_json_content_type(std::string_view content_type) {
  std::string type = to_lower(std::string(content_type.substr(0, content_type.find(';'))));
  return trim(type) == "application/json";
}

core::Result<std::string> merge_json_documents(const Document& existing, std::string_view posted,
                                               std::string_view posted_content_type) {
  // Communication 2.2: "If the document being posted or any existing document does not have a
  // Content-Type of application/json, or if either document cannot be parsed as a JSON Object, the LRS
  // MUST respond with HTTP status code 400 Bad Request, and MUST NOT update the target document".
  if (!is_json_content_type(posted_content_type)) {
    return core::Error::invalid("POST merges into an existing document only as application/json; got Content-Type \"" +
                                    std::string(posted_content_type) + "\". Use PUT to replace the document.",
                                "Content-Type");
  }
  if (!is_json_content_type(existing.content_type)) {
    return core::Error::invalid("The stored document is \"" + existing.content_type +
                                    "\", not application/json, so a POST cannot merge into it; use PUT to replace it.",
                                "Content-Type");
  }
  json update = json::parse(posted, nullptr, false);
  if (!update.is_object()) return core::Error::invalid("The posted document is not a JSON object, so it cannot be merged.");
  json merged = json::parse(existing.content, nullptr, false);
  if (!merged.is_object()) {
    return core::Error::invalid("The stored document is not a JSON object, so a POST cannot merge into it; use PUT.");
  }
  // Only top-level properties: a posted property replaces the stored one whole.
  for (auto& [name, value] : update.items()) merged[name] = std::move(value);
  return merged.dump();
}

DocumentService::DocumentService(XapiDocumentStore& store, core::Clock& clock) : store_(store), clock_(clock) {}

core::Result<void> DocumentService::put(const DocumentKey& key, IncomingDocument document,
                                        const Preconditions& preconditions) {
  return store_.modify(key, [&](const std::optional<Document>& current) -> core::Result<DocumentChange> {
    if (auto ok = check_preconditions(key.scope.kind, DocumentMethod::kPut, preconditions, current ? &*current : nullptr);
        !ok) {
      return ok.error();
    }
    // Communication 3.2: "The LRS SHOULD* reject any request with 400 Bad Request status where the content
    // type header does not match the content included in the request".
    if (is_json_content_type(document.content_type) && !json::accept(document.content)) {
      return core::Error::invalid("The document is sent as application/json but is not valid JSON.", "Content-Type");
    }
    return DocumentChange{DocumentChange::Action::kWrite, std::move(document), clock_.now()};
  });
}

core::Result<void> DocumentService::post(const DocumentKey& key, IncomingDocument document,
                                         const Preconditions& preconditions) {
  return store_.modify(key, [&](const std::optional<Document>& current) -> core::Result<DocumentChange> {
    if (auto ok = check_preconditions(key.scope.kind, DocumentMethod::kPost, preconditions, current ? &*current : nullptr);
        !ok) {
      return ok.error();
    }
    if (current) {
      auto merged = merge_json_documents(*current, document.content, document.content_type);
      if (!merged) return merged.error();
      document.content = std::move(merged).value();
    } else if (is_json_content_type(document.content_type) && !json::parse(document.content, nullptr, false).is_object()) {
      // Stored as is, it would make every later POST to it fail: refuse it now.
      return core::Error::invalid("A document POSTed as application/json must be a JSON object.");
    }
    return DocumentChange{DocumentChange::Action::kWrite, std::move(document), clock_.now()};
  });
}

core::Result<Document> DocumentService::get(const DocumentKey& key) {
  auto found = store_.find(key);
  if (!found) {
    return core::Error::not_found("No " + std::string(document_noun(key.scope.kind)) + " with " +
                                  std::string(document_id_parameter(key.scope.kind)) + " \"" + key.id + "\" here.");
  }
  return std::move(*found);
}

std::vector<DocumentListEntry> DocumentService::list(const DocumentScope& scope, std::optional<core::Timestamp> since) {
  return store_.list(scope, since);
}

core::Result<void> DocumentService::remove(const DocumentKey& key, const Preconditions& preconditions) {
  return store_.modify(key, [&](const std::optional<Document>& current) -> core::Result<DocumentChange> {
    if (auto ok = check_preconditions(key.scope.kind, DocumentMethod::kDelete, preconditions,
                                      current ? &*current : nullptr);
        !ok) {
      return ok.error();
    }
    DocumentChange change;
    change.action = current ? DocumentChange::Action::kDelete : DocumentChange::Action::kNone;
    return change;
  });
}

void DocumentService::remove_all(const DocumentScope& scope) { store_.remove_all(scope); }

json person_object(const json& agent, const std::vector<std::string>& known_names) {
  json person = {{"objectType", "Person"}};
  std::vector<std::string> names;
  if (agent.contains("name") && agent["name"].is_string()) names.push_back(agent["name"].get<std::string>());
  for (const auto& name : known_names) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  if (!names.empty()) person["name"] = names;
  for (const char* ifi : {"mbox", "mbox_sha1sum", "openid", "account"}) {
    if (agent.contains(ifi)) person[ifi] = json::array({agent[ifi]});
  }
  return person;
}

json activity_object(const std::string& id, const std::vector<json>& statements_oldest_first) {
  std::vector<json> definitions;
  for (const auto& statement : statements_oldest_first) collect_definitions(statement, id, definitions);
  json activity = {{"objectType", "Activity"}, {"id", id}};
  if (definitions.empty()) return activity;
  json merged = json::object();
  for (const auto& definition : definitions) merge_definition(merged, definition);
  activity["definition"] = std::move(merged);
  return activity;
}

}  // namespace edfleet::ingest::xapi
