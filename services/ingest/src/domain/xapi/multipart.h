// multipart/mixed (RFC 2046 5.1) as the xAPI Statements resource uses it (Communication 1.5.2): the
// boundary of a Content-Type, a body split into parts with their headers, and the writer for GET
// ?attachments=true. Pure: works on bytes, knows nothing of HTTP libraries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edfleet/core/result.h"

namespace edfleet::ingest::xapi {

// One body part: its header fields in order (names as sent) and its octets, unencoded.
struct MultipartPart {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of the first header named `name` (case-insensitive), trimmed; nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

// The media type of a Content-Type value, lower-cased and without parameters ("multipart/mixed").
std::string media_type(std::string_view content_type);

// The boundary parameter of a multipart Content-Type (quoted or not). kInvalidArgument (field
// "Content-Type") when it is missing, empty, longer than 70 characters or has characters RFC 2046
// does not allow in a boundary.
core::Result<std::string> multipart_boundary(std::string_view content_type);

// Splits a multipart body at `boundary`: the preamble before the first delimiter and the epilogue after
// the close delimiter are ignored; lines end in CRLF. kInvalidArgument naming the part when the body
// does not start with the boundary, is not closed with --boundary--, has no part, or a header line is
// malformed.
core::Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary);

// The body of a multipart message with `boundary` (which must not occur in any part).
std::string write_multipart(std::string_view boundary, const std::vector<MultipartPart>& parts);

}  // namespace edfleet::ingest::xapi
