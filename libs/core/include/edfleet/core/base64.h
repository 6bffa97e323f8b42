// Base64 for gRPC-Web text mode, HTTP Basic credentials, binary metadata, JWTs and JWS: one
// implementation for the fleet.
//
// gRPC-Web text mode base64-encodes every flush of the response on its own, so a text-mode body is
// a concatenation of padded base64 strings ("AAAAAAo=gAAAAA9n..."): it is not one valid base64
// entity. Base64StreamDecoder decodes such a stream chunk by chunk, whatever the chunk boundaries,
// accepting padding at the end of any 4-character quantum and starting afresh after it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "edfleet/core/result.h"

namespace edfleet::core {

// Standard alphabet (RFC 4648 section 4), padded.
std::string base64_encode(std::string_view data);
// URL-safe alphabet (RFC 4648 section 5), unpadded, as JWTs use it.
std::string base64url_encode(std::string_view data);

// Decodes one standard base64 string (padding optional at the very end). nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);
// Decodes one unpadded (or padded) URL-safe base64 string, as in JWT segments. nullopt when malformed.
std::optional<std::string> base64url_decode(std::string_view text);

// Incremental decoder of a gRPC-Web text stream: feed() arbitrary chunks, then finish().
// A quantum of four characters may end in padding ("xx==" or "xxx="); the next quantum starts a new
// base64 string. Errors (kInvalidArgument) name the offending byte's offset in the stream: a
// character outside the alphabet, padding in the first two positions of a quantum, or data after
// padding within a quantum. finish() accepts an unpadded final quantum of 2 or 3 characters.
class Base64StreamDecoder {
 public:
  // Decodes `chunk`, appending the bytes completed so far to `out`.
  core::Result<void> feed(std::string_view chunk, std::string& out);
  // Ends the stream, appending the last bytes of an unpadded quantum; an error when a lone
  // character is left over.
  core::Result<void> finish(std::string& out);
  std::size_t consumed() const { return offset_; }

 private:
  unsigned char quantum_[4] = {0, 0, 0, 0};  // 6-bit values of the quantum being read
  int filled_ = 0;                           // characters of the current quantum seen
  int padding_ = 0;                          // '=' characters seen in the current quantum
  std::size_t offset_ = 0;                   // characters consumed, for error messages
  bool failed_ = false;
};

}  // namespace edfleet::core
