#include "adapters/proto_xapi_payload_encoder.h"

#include "edfleet/events/v1/event.pb.h"

namespace edfleet::ingest {

std::string ProtoXapiPayloadEncoder::encode(std::string_view statement_json, std::string_view version) {
  events::v1::XapiStatement payload;
  payload.set_statement_json(std::string(statement_json));
  payload.set_version(std::string(version));
  return payload.SerializeAsString();
}

}  // namespace edfleet::ingest
