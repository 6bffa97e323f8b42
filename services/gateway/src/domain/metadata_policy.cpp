#include "domain/metadata_policy.h"

#include "domain/text.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace edfleet::gateway {
namespace {

// Exact names never forwarded.
constexpr std::array<std::string_view, 28> kDropped = {
    // hop-by-hop and HTTP/1 transport
    "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te",
    "trailer", "transfer-encoding", "upgrade", "host", "content-length", "content-type", "content-encoding",
    "accept", "accept-encoding", "accept-language", "expect",
    // credentials: the upstream gets the authenticated identity instead
    "authorization", "cookie",
    // browser and gRPC-Web client headers
    "origin", "referer", "user-agent", "x-user-agent", "x-grpc-web", "pragma", "cache-control",
    // set by the gateway
    "traceparent", "forwarded"};

}  // namespace

bool is_internal_header(std::string_view name) { return to_lower(name).starts_with("x-edfleet-"); }

bool is_valid_metadata_key(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' || l == '_' || l == '.';
  });
}

bool is_valid_ascii_metadata_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0x20 && b <= 0x7E;
  });
}

bool is_forwardable_header(std::string_view name) {
  if (!is_valid_metadata_key(name)) return false;  // also rules out ":pseudo" headers
  const std::string key = to_lower(name);
  if (key.starts_with("x-edfleet-") || key.starts_with("grpc-") || key.starts_with("access-control-") ||
      key.starts_with("sec-") || key.starts_with("x-forwarded-") || key.starts_with("proxy-")) {
    return false;
  }
  return std::find(kDropped.begin(), kDropped.end(), key) == kDropped.end();
}

}  // namespace edfleet::gateway
