// Port: turns a stored xAPI statement into the event payload's wire form (the XapiStatement protobuf
// in production), so the domain can build an EventEnvelope without knowing protobuf.
#pragma once

#include <string>
#include <string_view>

namespace edfleet::ingest {

class XapiPayloadEncoder {
 public:
  virtual ~XapiPayloadEncoder() = default;
  // The encoded `xapi_statement` payload: the statement JSON text and the xAPI version it arrived with.
  virtual std::string encode(std::string_view statement_json, std::string_view version) = 0;
};

}  // namespace edfleet::ingest
