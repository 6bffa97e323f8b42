// The xAPI Learning Record Store as the gateway serves it. Every request under /xapi/ is forwarded
// to ingest's HTTP port whatever its path, so new xAPI resources need no gateway code; this decides
// what a request counts as for the access policy (reading or writing the LRS), which headers cross
// the gateway in each direction, and where the 1.0.3 alternate syntax puts the credentials.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edfleet::gateway {

// The access-policy methods xAPI requests stand for (roles list them like gRPC methods):
// GET and HEAD read; PUT, POST and DELETE write, except the alternate syntax POST ?method=GET|HEAD.
inline constexpr std::string_view kXapiReadMethod = "/edfleet.xapi.Lrs/Read";
inline constexpr std::string_view kXapiWriteMethod = "/edfleet.xapi.Lrs/Write";

// True for "/xapi" and every path under "/xapi/".
bool is_xapi_path(std::string_view path);
// True for the resources answered without credentials (/xapi/about).
bool is_public_xapi_path(std::string_view path);
// False when the (decoded) path has a "." or ".." segment: forwarded, it could name another route
// of ingest than the one the gateway authorized, if anything on the way normalised it.
bool is_plain_path(std::string_view path);

// kXapiReadMethod or kXapiWriteMethod for a request. `alternate_syntax_reads` says whether its query
// string holds exactly one `method` that is GET or HEAD, as ingest will read it: the transport asks
// libs/http (http::alternate_method), the parser ingest executes with, never a parser of its own.
std::string_view xapi_policy_method(std::string_view http_method, bool alternate_syntax_reads);
// "read the LRS" / "write to the LRS", for error messages.
std::string_view xapi_action(std::string_view policy_method);

// Client request headers forwarded to ingest (xAPI's own, content negotiation and concurrency);
// everything else stays at the gateway (credentials, x-edfleet-*, hop-by-hop, cookies...).
bool is_forwarded_xapi_request_header(std::string_view name);
// Ingest response headers returned to the client (Content-Type travels with the body).
bool is_returned_xapi_response_header(std::string_view name);

// The alternate syntax sends headers as fields of an application/x-www-form-urlencoded body. Takes
// field `name` (any case) out of `body`: its decoded value (nullopt if absent) and the body without it.
struct TakenFormField {
  std::optional<std::string> value;
  std::string rest;
};
TakenFormField take_form_field(std::string_view body, std::string_view name);

// "application/x-www-form-urlencoded; charset=..." and the like.
bool is_form_content_type(std::string_view content_type);

// The X-Experience-API-Version the gateway answers its own refusals with: 2.0.0 for a 2.0.x client,
// else 1.0.3 -- ingest's rule for requests without a version it speaks (a 2.0 client accepts 1.0.x
// answers, Communication 3.3, while 2.0.0 is a new major version to a 1.0.x client).
std::string_view xapi_answer_version(std::string_view request_version);

}  // namespace edfleet::gateway
