// The xAPI attachment rules (Data 2.4.11, Communication 1.5.2) and signed statements (Data 2.6): which
// multipart parts belong to which statements' attachments, and whether a statement's JWS signature is
// well formed and signs that very statement. Pure rules; the cryptography comes through JwsVerifier.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/xapi/formats.h"
#include "domain/xapi/multipart.h"
#include "edfleet/core/result.h"
#include "ports/jws_verifier.h"
#include "ports/xapi_payload_encoder.h"

namespace edfleet::ingest::xapi {

// The usageType of a signed statement's JWS attachment, and the content type it must have.
inline constexpr std::string_view kSignatureUsageType = "http://adlnet.gov/expapi/attachments/signature";
inline constexpr std::string_view kSignatureContentType = "application/octet-stream";

// The attachment data that goes with each statement (same order as the statements), each sha2 once per
// statement, and the total size of the distinct parts received.
struct MatchedAttachments {
  std::vector<std::vector<AttachmentContent>> by_statement;
  std::size_t total_bytes = 0;
};

// Matches the attachment parts of a request (the multipart parts after the statements part; none for
// application/json) to the statements' Attachment objects (the statement's and a SubStatement's):
//  - every part needs X-Experience-API-Hash (a SHA-2 hex digest its content must have) and
//    Content-Transfer-Encoding: binary; a Content-Type header, when given, must agree with the
//    attachment's contentType (the attachment's length is not compared: parts match by SHA-2 only);
//  - every Attachment without fileUrl needs a part with its sha2 (application/json: none can have one,
//    so every Attachment needs a fileUrl); a signature Attachment always needs its part;
//  - every part must match some Attachment.
// kInvalidArgument naming the statement, attachment or part (parts are numbered from 1, the statements
// part being part 1); kResourceExhausted when the distinct parts hold more than `max_bytes`.
// `batch`: the statements came as an array (paths are then prefixed "[i]").
core::Result<MatchedAttachments> match_attachments(const std::vector<nlohmann::json>& statements, bool batch,
                                                   bool multipart, const std::vector<MultipartPart>& parts,
                                                   JwsVerifier& crypto, std::size_t max_bytes);

// Checks every signature Attachment of the (valid, matched) statements: the JWS is well formed with alg
// RS256/RS384/RS512, verifies with its x5c certificate when it has one (without x5c there is nothing to
// verify against: accepted when well formed, see README), and its payload is a valid statement equal to
// the received one by the comparison rules once the signature Attachments are left out (and the id, if
// the signer did not set one). kInvalidArgument naming the statement and attachment otherwise.
core::Result<void> verify_signatures(const std::vector<nlohmann::json>& statements, bool batch,
                                     const MatchedAttachments& matched, JwsVerifier& crypto, Version version);

}  // namespace edfleet::ingest::xapi
