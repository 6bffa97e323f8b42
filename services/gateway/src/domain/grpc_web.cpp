#include "domain/grpc_web.h"

#include "domain/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace edfleet::gateway {
namespace {

bool is_identifier(std::string_view text) {
  if (text.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

core::Result<void> FrameParser::feed(std::string_view chunk, std::vector<Frame>& out) {
  if (failed_) return *failed_;
  auto fail = [this](core::ErrorCode code, std::string message) -> core::Result<void> {
    failed_ = core::Error{code, std::move(message), {}};
    return *failed_;
  };
  while (!chunk.empty()) {
    if (!in_payload_) {
      while (header_filled_ < kFrameHeaderBytes && !chunk.empty()) {
        header_[header_filled_++] = static_cast<unsigned char>(chunk.front());
        chunk.remove_prefix(1);
        ++offset_;
      }
      if (header_filled_ < kFrameHeaderBytes) break;
      const std::uint8_t flags = header_[0];
      const std::size_t length = (static_cast<std::size_t>(header_[1]) << 24) |
                                 (static_cast<std::size_t>(header_[2]) << 16) |
                                 (static_cast<std::size_t>(header_[3]) << 8) | header_[4];
      const std::size_t frame_start = offset_ - kFrameHeaderBytes;
      if ((flags & kTrailerFlag) != 0) {
        return fail(core::ErrorCode::kInternal, "malformed gRPC-Web request: a trailer frame (flag 0x80) at byte " +
                                                    std::to_string(frame_start) + "; requests carry messages only");
      }
      if ((flags & kCompressedFlag) != 0) {
        return fail(core::ErrorCode::kUnimplemented,
                    "compressed gRPC-Web messages are not supported; send messages uncompressed (flag 0)");
      }
      if (flags != 0) {
        return fail(core::ErrorCode::kInternal, "malformed gRPC-Web request: reserved flag bits set (0x" +
                                                    std::string(1, "0123456789abcdef"[flags >> 4]) +
                                                    std::string(1, "0123456789abcdef"[flags & 0x0F]) + ") at byte " +
                                                    std::to_string(frame_start));
      }
      if (length > max_message_bytes_) {
        return fail(core::ErrorCode::kTooLarge,
                    "request message of " + std::to_string(length) + " bytes exceeds the limit of " +
                        std::to_string(max_message_bytes_) + " bytes");
      }
      current_ = Frame{flags, {}};
      current_.payload.reserve(length);
      expected_ = length;
      in_payload_ = true;
      header_filled_ = 0;
    }
    const std::size_t take = std::min(expected_ - current_.payload.size(), chunk.size());
    current_.payload.append(chunk.data(), take);
    chunk.remove_prefix(take);
    offset_ += take;
    if (current_.payload.size() == expected_) {
      out.push_back(std::move(current_));
      current_ = Frame{};
      in_payload_ = false;
    }
  }
  return {};
}

core::Result<void> FrameParser::finish() const {
  if (failed_) return *failed_;
  if (in_payload_) {
    return core::Error{core::ErrorCode::kInternal,
                       "malformed gRPC-Web request: truncated message (" + std::to_string(current_.payload.size()) +
                           " of " + std::to_string(expected_) + " bytes)",
                       {}};
  }
  if (header_filled_ != 0) {
    return core::Error{core::ErrorCode::kInternal,
                       "malformed gRPC-Web request: truncated frame header (" + std::to_string(header_filled_) +
                           " of 5 bytes)",
                       {}};
  }
  return {};
}

std::string frame_header(std::uint8_t flags, std::size_t length) {
  std::string header(kFrameHeaderBytes, '\0');
  header[0] = static_cast<char>(flags);
  header[1] = static_cast<char>((length >> 24) & 0xFF);
  header[2] = static_cast<char>((length >> 16) & 0xFF);
  header[3] = static_cast<char>((length >> 8) & 0xFF);
  header[4] = static_cast<char>(length & 0xFF);
  return header;
}

void append_frame(std::string& out, std::uint8_t flags, std::string_view payload) {
  out += frame_header(flags, payload.size());
  out.append(payload.data(), payload.size());
}

std::string percent_encode_grpc_message(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E || byte == '%') {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percent_decode_grpc_message(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      const int hi = hex_value(encoded[i + 1]);
      const int lo = hex_value(encoded[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(encoded[i]);
  }
  return out;
}

std::string encode_header_block(const HeaderList& headers) {
  std::string block;
  for (const auto& [name, value] : headers) {
    block += to_lower(name);
    block += ": ";
    block += value;
    block += "\r\n";
  }
  return block;
}

std::string encode_trailer_frame(int grpc_status, std::string_view grpc_message, const HeaderList& metadata) {
  HeaderList all;
  all.reserve(metadata.size() + 2);
  all.emplace_back("grpc-status", std::to_string(grpc_status));
  if (!grpc_message.empty()) all.emplace_back("grpc-message", percent_encode_grpc_message(grpc_message));
  all.insert(all.end(), metadata.begin(), metadata.end());
  std::string frame;
  append_frame(frame, kTrailerFlag, encode_header_block(all));
  return frame;
}

std::optional<HeaderList> parse_header_block(std::string_view block) {
  HeaderList headers;
  while (!block.empty()) {
    auto end = block.find("\r\n");
    std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + 2);
    if (line.empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    headers.emplace_back(to_lower(trim_blanks(line.substr(0, colon))), std::string(trim_blanks(line.substr(colon + 1))));
  }
  return headers;
}

std::optional<WebContentType> parse_web_content_type(std::string_view content_type) {
  std::string type = to_lower(trim_blanks(content_type.substr(0, content_type.find(';'))));
  if (type == "application/grpc-web" || type == "application/grpc-web+proto") {
    return WebContentType{false, "application/grpc-web+proto"};
  }
  if (type == "application/grpc-web-text" || type == "application/grpc-web-text+proto") {
    return WebContentType{true, "application/grpc-web-text+proto"};
  }
  return std::nullopt;
}

std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  std::string_view digits = value.substr(0, value.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  std::int64_t amount = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), amount);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  using namespace std::chrono;
  nanoseconds unit{};
  switch (value.back()) {
    case 'H': unit = hours(1); break;
    case 'M': unit = minutes(1); break;
    case 'S': unit = seconds(1); break;
    case 'm': unit = milliseconds(1); break;
    case 'u': unit = microseconds(1); break;
    case 'n': unit = nanoseconds(1); break;
    default: return std::nullopt;
  }
  // Checked before multiplying: 8 digits of hours do not fit 64-bit nanoseconds.
  if (amount > kMaxGrpcTimeout / unit) return kMaxGrpcTimeout;
  return unit * amount;
}

std::optional<MethodPath> parse_method_path(std::string_view path) {
  if (path.size() < 4 || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view service = path.substr(0, slash);
  std::string_view method = path.substr(slash + 1);
  if (!is_identifier(method)) return std::nullopt;
  std::size_t start = 0;
  int parts = 0;
  while (true) {
    auto dot = service.find('.', start);
    if (!is_identifier(service.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
      return std::nullopt;
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts < 2) return std::nullopt;  // "/v1/events" is an HTTP route, not a gRPC method
  return MethodPath{std::string(service), std::string(method)};
}

}  // namespace edfleet::gateway
