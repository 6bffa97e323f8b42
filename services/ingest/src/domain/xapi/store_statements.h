// The Statements resource's write side (PUT / POST /xapi/statements), Kafka-first: validate every
// statement, let the LRS fill in id, stored, authority, version and timestamp, tell retries (same id,
// same content by the xAPI comparison rules: no change) from conflicts (same id, other content: 409),
// publish the new ones as edfleet.events.v1 events of type xapi.statement and answer only once Kafka
// has acknowledged them all.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/xapi/consistency.h"
#include "domain/xapi/formats.h"
#include "domain/xapi/multipart.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/result.h"
#include "ports/accepted_event_ledger.h"
#include "ports/event_publisher.h"
#include "ports/jws_verifier.h"
#include "ports/xapi_payload_encoder.h"

namespace edfleet::ingest::xapi {

struct StoreSettings {
  std::size_t max_batch_statements = 1000;   // more: kResourceExhausted (413)
  std::size_t max_statement_bytes = 1 << 20; // one statement as stored (JSON text); more: 413
  std::string source = "edfleet-ingest/xapi"; // the events' `source`
  // How long a request waits for another request of this process that is storing the same statement.
  std::chrono::milliseconds in_flight_wait{30000};
  // The attachment data of one request (distinct parts); more: 413. It travels on the events, so it
  // must stay below Kafka's message size limit (about 1 MB by default) together with the statement.
  std::size_t max_attachment_bytes = 640 * 1024;
};

// One PUT or POST, as the transport understood it.
struct StoreRequest {
  std::string tenant;                        // the caller's tenant (slug); every id is scoped by it
  nlohmann::json authority;                  // the Agent the LRS records as authority (from the credentials)
  Version version = Version::k1_0;           // from X-Experience-API-Version
  std::string version_text;                  // the header's value, e.g. "1.0.3"
  std::optional<std::string> statement_id;   // PUT ?statementId=; nullopt for POST
  nlohmann::json body;                       // PUT: one statement; POST: one statement or an array
  std::string trace_id;
  // multipart/mixed (Communication 1.5.2): the parts after the statements part, each an attachment's
  // raw data. For application/json (multipart false) there are none and every attachment needs a fileUrl.
  bool multipart = false;
  std::vector<MultipartPart> attachment_parts;
};

struct StoreResult {
  std::vector<std::string> ids;   // one per statement, in request order (assigned ones included)
  std::size_t published = 0;      // newly put on the stream
  std::size_t unchanged = 0;      // already stored with the same content
};

// Thread-safe. Conflict checks see the ledger, shared by every replica, where each id is claimed
// (pending, with its content hash) before it is published and marked accepted once Kafka acknowledged
// it: of concurrent requests storing one id, on any replica, one claims it; the others get a 409 for
// other content, or publish the same content again (harmless: the store de-duplicates by id). A claim
// left pending by a process that died after publishing keeps the id's content: other content is a 409
// there too, and the same content is published again and recorded, so a retry never loses a statement.
// A claim whose publishing failed is released (best effort). Statements that other requests of this
// process are storing right now are checked first, without Postgres: other content is a 409 at once;
// with the same content the request waits for the other one to finish, then finds it stored.
//
// Attachments: parts are matched to the statements' Attachment objects by SHA-2 and signed statements
// verified (domain/xapi/attachments.h) before anything is published; each statement's event carries the
// data of its attachments, so it is durable on Kafka before the answer.
//
// Errors: kInvalidArgument (400: invalid statement, duplicate ids in the batch, PUT id mismatch,
// attachment parts that do not match, a malformed or wrong signature),
// kConflict (409: an id already stored with different content), kResourceExhausted (413),
// kUnavailable (503: the ledger or Kafka did not answer; retrying the whole request is safe: what was
// stored comes back as unchanged).
class StoreStatements {
 public:
  StoreStatements(EventPublisher& publisher, AcceptedEventLedger& ledger, XapiPayloadEncoder& encoder,
                  core::Clock& clock, core::IdGenerator& ids, StoreSettings settings,
                  ConsistencyTracker* consistency = nullptr, JwsVerifier* crypto = nullptr);

  core::Result<StoreResult> execute(const StoreRequest& request);

 private:
  // Releases this request's pending claims after a failure; logs when that fails too.
  void release_claims(const std::vector<AcceptedEvent>& claims, const std::string& tenant);

  EventPublisher& publisher_;
  AcceptedEventLedger& ledger_;
  XapiPayloadEncoder& encoder_;
  core::Clock& clock_;
  core::IdGenerator& ids_;
  StoreSettings settings_;
  ConsistencyTracker* consistency_;  // optional: statements are pending until materialised
  JwsVerifier* crypto_;              // optional: without it attachment parts are refused

  // Statement ids being stored by some request, with their comparison hash.
  std::mutex in_flight_mutex_;
  std::condition_variable in_flight_released_;
  std::map<EventKey, std::string> in_flight_;
};

// The authority the LRS records for a tenant's credentials: an Agent with an account on the tenant's
// home page, named after the principal (API key or user) that sent the statement.
nlohmann::json authority_for(const std::string& tenant, const std::string& principal);

// The xAPI version the LRS answers with ("1.0.3" / "2.0.0").
std::string_view version_in_use(Version version);

}  // namespace edfleet::ingest::xapi
