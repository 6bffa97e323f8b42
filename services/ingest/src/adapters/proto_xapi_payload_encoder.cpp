#include "adapters/proto_xapi_payload_encoder.h"

#include "edfleet/events/v1/event.pb.h"

namespace edfleet::ingest {

std::string ProtoXapiPayloadEncoder::encode(std::string_view statement_json, std::string_view version,
                                            std::span<const AttachmentContent> attachments) {
  events::v1::XapiStatement payload;
  payload.set_statement_json(std::string(statement_json));
  payload.set_version(std::string(version));
  for (const auto& a : attachments) {
    auto* out = payload.add_attachments();
    out->set_sha2(a.sha2);
    out->set_content_type(a.content_type);
    out->set_content(a.content);
  }
  return payload.SerializeAsString();
}

}  // namespace edfleet::ingest
