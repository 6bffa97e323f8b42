// The gRPC-Web wire format (PROTOCOL-WEB.md), as pure functions and an incremental parser.
//
// A gRPC-Web body is a sequence of frames: one flag byte, a 4-byte big-endian length, the payload.
// Flag bit 7 (0x80) marks the trailer frame that ends a response: an HTTP/1 header block
// ("name: value\r\n" per entry, lower-case names, no terminating blank line). Bit 0 marks a
// compressed message; edfleet does not negotiate message compression, so it is refused.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edfleet/core/result.h"

namespace edfleet::gateway {

inline constexpr std::uint8_t kTrailerFlag = 0x80;
inline constexpr std::uint8_t kCompressedFlag = 0x01;
inline constexpr std::size_t kFrameHeaderBytes = 5;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Frame {
  std::uint8_t flags = 0;
  std::string payload;
  bool is_trailer() const { return (flags & kTrailerFlag) != 0; }
};

// Parses the frames of a request body fed in arbitrary chunks. Requests carry data frames only:
//  - a declared length over `max_message_bytes`  -> kResourceExhausted (before the payload arrives)
//  - the compressed flag                         -> kUnimplemented
//  - the trailer flag or any reserved flag bit   -> kInternal (a malformed frame)
//  - finish() with a partial frame left over     -> kInternal (truncated)
// After an error the parser stays failed.
class FrameParser {
 public:
  explicit FrameParser(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}
  core::Result<void> feed(std::string_view chunk, std::vector<Frame>& out);
  core::Result<void> finish() const;

 private:
  std::size_t max_message_bytes_;
  unsigned char header_[kFrameHeaderBytes] = {0, 0, 0, 0, 0};
  std::size_t header_filled_ = 0;
  std::size_t expected_ = 0;  // payload bytes of the frame being read
  bool in_payload_ = false;
  Frame current_;
  std::size_t offset_ = 0;
  std::optional<core::Error> failed_;
};

// Appends one frame (header + payload) to `out`.
void append_frame(std::string& out, std::uint8_t flags, std::string_view payload);
// The header of a frame of `length` bytes, for writers that send the payload separately.
std::string frame_header(std::uint8_t flags, std::size_t length);

// Percent-encodes a grpc-message value as the gRPC HTTP/2 spec asks (bytes outside 0x20..0x7E,
// and '%', become %XX), and the inverse (malformed escapes are kept as they are).
std::string percent_encode_grpc_message(std::string_view message);
std::string percent_decode_grpc_message(std::string_view encoded);

// A header block "name: value\r\n"... with names lower-cased; values must be valid header values
// (callers pass percent-encoded grpc-message and base64-encoded -bin values).
std::string encode_header_block(const HeaderList& headers);
// The trailer frame: grpc-status, grpc-message (when not empty, percent-encoded) then `metadata`.
std::string encode_trailer_frame(int grpc_status, std::string_view grpc_message, const HeaderList& metadata);
// Parses a header block (what a trailer frame carries); names come back lower-cased. nullopt when
// a line has no colon. Used by tests and the benchmark client.
std::optional<HeaderList> parse_header_block(std::string_view block);

// What a request's Content-Type says.
struct WebContentType {
  bool text = false;         // application/grpc-web-text: base64 bodies both ways
  std::string content_type;  // the response content type, e.g. "application/grpc-web+proto"
};
// application/grpc-web, application/grpc-web+proto, application/grpc-web-text,
// application/grpc-web-text+proto (parameters after ';' ignored, case-insensitive). Other codecs
// (+json, +thrift) are not proxied to gRPC upstreams: nullopt.
std::optional<WebContentType> parse_web_content_type(std::string_view content_type);

// The longest timeout parse_grpc_timeout returns (100 years: in effect, no deadline). Small enough
// that the current time plus it fits a system_clock time point for centuries.
inline constexpr std::chrono::nanoseconds kMaxGrpcTimeout = std::chrono::hours(24 * 365 * 100);

// Parses a grpc-timeout value ("1-8 digits" + H|M|S|m|u|n). nullopt when malformed. Saturates:
// anything longer than kMaxGrpcTimeout (up to 99999999H, whose nanoseconds overflow 64 bits) is
// kMaxGrpcTimeout, so callers may add the result to a time point and cap it without overflow.
std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view value);

// "/package.Service/Method" -> {"package.Service", "Method"}; nullopt unless the service name is
// dotted identifiers and the method one identifier.
struct MethodPath {
  std::string service;
  std::string method;
};
std::optional<MethodPath> parse_method_path(std::string_view path);

}  // namespace edfleet::gateway
