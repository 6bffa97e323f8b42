// The xAPI document resources over HTTP (Communication 2.2-2.7, 3.1): /xapi/activities/state,
// /xapi/activities/profile, /xapi/agents/profile, and the Agents (/xapi/agents) and Activities
// (/xapi/activities) resources. See services/ingest/README.md, "Document resources".
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include <httplib.h>

#include "adapters/pg_xapi_catalog.h"
#include "domain/xapi/documents.h"
#include "edfleet/core/ids.h"
#include "transport/xapi_http.h"

namespace edfleet::ingest {

struct XapiDocumentRouteSettings {
  // How callers authenticate (the gateway's signed identity, or HTTP Basic for direct use).
  XapiAuthentication authentication;
  // The stored statements, for the Person and Activity objects; without it /xapi/agents answers the
  // Person of the agent alone and /xapi/activities the Activity with its id alone.
  PgXapiCatalog* catalog = nullptr;
  // The statements' X-Experience-API-Consistent-Through (the ConsistencyTracker). With it the Agents and
  // Activities answers first wait, up to `statements_wait`, until every statement stored before the
  // request is materialised: statements are Kafka first, so one accepted a moment ago would otherwise be
  // missing from the "complete Activity Object" (Communication 2.5). Without it they answer at once.
  std::function<core::Timestamp()> consistent_through;
  std::chrono::milliseconds statements_wait{3000};
};

// Adds the routes for GET (and so HEAD), PUT, POST and DELETE of the three document resources, GET of
// /xapi/agents and /xapi/activities, and 405 with Allow for the other methods. Every request goes
// through prepare_xapi_request (credentials, version header); documents are scoped by the caller's tenant.
void add_xapi_document_routes(httplib::Server& server, xapi::DocumentService& documents, core::IdGenerator& ids,
                              XapiDocumentRouteSettings settings);

}  // namespace edfleet::ingest
