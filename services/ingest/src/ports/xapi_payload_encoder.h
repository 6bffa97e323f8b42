// Port: turns a stored xAPI statement into the event payload's wire form (the XapiStatement protobuf
// in production), so the domain can build an EventEnvelope without knowing protobuf.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace edfleet::ingest {

// The raw data of one attachment, carried on the statement's event (Kafka first: durable before the
// LRS answers, stored by the materialiser).
struct AttachmentContent {
  std::string sha2;          // lower-case hex
  std::string content_type;
  std::string content;       // the octets
};

class XapiPayloadEncoder {
 public:
  virtual ~XapiPayloadEncoder() = default;
  // The encoded `xapi_statement` payload: the statement JSON text, the xAPI version it arrived with and
  // the data of its attachments that came as multipart parts (none for fileUrl-only attachments).
  virtual std::string encode(std::string_view statement_json, std::string_view version,
                             std::span<const AttachmentContent> attachments) = 0;
};

}  // namespace edfleet::ingest
