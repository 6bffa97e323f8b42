// What every xAPI resource's HTTP handler shares: the xAPI headers, credentials (gateway headers or
// HTTP Basic), the version check, JSON bodies and the mapping of domain errors to HTTP statuses with a
// JSON error body. The Statements routes (xapi_routes.cpp) and the document resources use it alike.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "domain/xapi/formats.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/result.h"
#include "edfleet/http/date.h"
#include "edfleet/http/status.h"
#include "edfleet/identity/caller_identity.h"

namespace edfleet::ingest {

inline constexpr const char* kVersionHeader = "X-Experience-API-Version";
inline constexpr const char* kConsistentHeader = "X-Experience-API-Consistent-Through";

// The HTTP status of a domain error: the fleet's one mapping (libs/http).
using http::http_status;

// Answers `error` as {"error":{"code","message","field"}} with its status (and WWW-Authenticate on
// 401, Retry-After on 503).
void send_error(httplib::Response& res, const core::Error& error);

// Who is calling, from the gateway's signed identity headers or HTTP Basic: the tenant and
// principal, or an error (kUnauthenticated) that says what is missing or wrong.
struct XapiCaller {
  std::string tenant;
  std::string principal;
};
// How callers authenticate: the identity the gateway signs (X-Edfleet-Tenant, -Principal and
// X-Edfleet-Identity, checked with `verifier`; never believed unsigned), or, for direct internal use,
// HTTP Basic with `basic_credentials` (user name -> "<tenant>:<password>").
struct XapiAuthentication {
  std::map<std::string, std::string> basic_credentials;
  const identity::IdentityVerifier* verifier = nullptr;  // null: no identity headers are accepted
};
core::Result<XapiCaller> authenticate(const httplib::Request& req, const XapiAuthentication& authentication);

// The X-Experience-API-Version of the request: required, 1.0.x or 2.0.x.
core::Result<xapi::Version> request_version(const httplib::Request& req);

// What an answer names in X-Experience-API-Version when the request names no version this LRS speaks
// (missing, before 1.0.0, 1.1.0 or later, garbage): Communication 3.3 requires the header on every
// response, including these 400s. "1.0.3" because both kinds of client accept it: a 2.0 client takes
// 1.0.x answers (Communication 3.3: "tolerate receiving responses with a version of 1.0.0 or greater";
// 2.0 LRSs and clients still speak 1.0.x), while to a 1.0.x client "2.0.0" is a new major version, by
// Semantic Versioning not compatible with what it speaks.
inline constexpr const char* kVersionForUnversionedRequests = "1.0.3";

// The X-Experience-API-Version an answer carries: the version in use ("1.0.3" or "2.0.0") when the
// request names one this LRS speaks, else kVersionForUnversionedRequests. Also for errors found before
// the version is checked (credentials, the alternate syntax). About answers "2.0.0" (the latest) always.
std::string answer_version(const httplib::Request& req);

// Sets X-Experience-API-Version to answer_version(req) unless the answer has it already: for the answers
// given before prepare_xapi_request (405, a malformed alternate-syntax request), which need it too.
void ensure_version_header(const httplib::Request& req, httplib::Response& res);

// What a handler knows about an authenticated, versioned request.
struct XapiRequestContext {
  XapiCaller caller;
  xapi::Version version;
  std::string version_text;  // the header's value, e.g. "1.0.3"
  std::string trace_id;
};

// Sets the trace id and version headers, authenticates and checks the version. On failure answers the
// error itself and returns nullopt.
std::optional<XapiRequestContext> prepare_xapi_request(const httplib::Request& req, httplib::Response& res,
                                                       const XapiAuthentication& authentication,
                                                       core::IdGenerator& ids);

// Parses JSON text (at most 100 levels deep, every object key at most once: Data 2.2), or kInvalidArgument
// saying why not; a duplicate key's error names it and has its path as `field` ("[0].actor.mbox").
core::Result<nlohmann::json> parse_json_text(std::string_view text);

// Communication 3.2: a request with a parameter the resource does not know, or one matching a known
// parameter in all but case, or one given twice, is a 400 naming it ("Unknown parameter \"statementID\" for
// PUT /xapi/statements; parameters are case-sensitive: did you mean \"statementId\"?").
core::Result<void> check_parameters(const httplib::Request& req, std::initializer_list<std::string_view> known,
                                    std::string_view resource);

// The request a 1.0.3 alternate-syntax request (Communication 1.3: POST ?method=<verb> with header
// parameters, parameters and `content` as form fields) stands for: `method` as its method, the form's
// header fields over the real headers, `content` as its body, the other fields as its parameters (in
// `params` and in `target`'s query string). kInvalidArgument under xAPI 2.0, which removed the syntax.
core::Result<httplib::Request> alternate_syntax_request(const httplib::Request& req, httplib::Response& res);



}  // namespace edfleet::ingest
