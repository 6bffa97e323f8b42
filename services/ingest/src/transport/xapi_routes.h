// The xAPI LRS over HTTP, under /xapi/ on ingest's HTTP port (the gateway forwards to it): the Statements
// resource — PUT/POST as application/json or multipart/mixed with attachment parts, GET/HEAD (multipart
// with attachments=true), the alternate request syntax — and /about, with the xAPI headers, credentials
// and error statuses. See services/ingest/README.md, "xAPI Learning Record Store".
#pragma once

#include <functional>
#include <map>
#include <string>

#include <httplib.h>

#include "adapters/pg_statement_store.h"
#include "domain/xapi/store_statements.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/ids.h"
#include "transport/xapi_http.h"

namespace edfleet::ingest {

struct XapiRouteSettings {
  // How callers authenticate (the gateway's signed identity, or HTTP Basic for direct use).
  XapiAuthentication authentication;
  // The Consistent-Through watermark: every statement stored before it is visible to GET. Until the
  // materialiser exists nothing is, so the default reports the epoch.
  std::function<core::Timestamp()> consistent_through;
  // The materialised statements for GET; without it GET /xapi/statements is not served.
  PgStatementStore* reader = nullptr;
  std::size_t max_query_limit = 100;   // limit=0 and larger limits mean this many per page
};

void add_xapi_routes(httplib::Server& server, xapi::StoreStatements& store, core::IdGenerator& ids,
                     XapiRouteSettings settings);

}  // namespace edfleet::ingest
