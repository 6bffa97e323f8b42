// XapiPayloadEncoder over protobuf: the edfleet.events.v1.XapiStatement message in wire form.
#pragma once

#include "ports/xapi_payload_encoder.h"

namespace edfleet::ingest {

class ProtoXapiPayloadEncoder final : public XapiPayloadEncoder {
 public:
  std::string encode(std::string_view statement_json, std::string_view version,
                     std::span<const AttachmentContent> attachments) override;
};

}  // namespace edfleet::ingest
