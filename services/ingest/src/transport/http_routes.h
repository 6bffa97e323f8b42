// HTTP transport: POST /v1/events with one event (a JSON object) or several (a JSON array), in the
// proto3 JSON mapping of edfleet.events.v1.Event. See the service README for status codes.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "edfleet/core/result.h"
#include "edfleet/identity/caller_identity.h"
#include "transport/publish_handler.h"

namespace edfleet::ingest {

// Decodes a request body into events. Whole-body problems are errors (kInvalidArgument: not JSON,
// not an object or array, nested too deeply; kResourceExhausted: more than `max_events`); an array
// element that is not a valid event is returned as a rejected DecodedEvent, so the others still go
// through. For xAPI statements, `xapiStatement.statement` (or xapi_statement.statement) may hold the
// statement as a JSON object instead of `statementJson` text; it is re-serialised into statementJson.
core::Result<std::vector<DecodedEvent>> decode_http_events(std::string_view body, std::size_t max_events);

// Adds POST /v1/events. Bodies over `max_body_bytes` get 413.
void add_http_routes(httplib::Server& server, PublishHandler& handler, std::size_t max_body_bytes,
                     const identity::IdentityVerifier& verifier);

}  // namespace edfleet::ingest
