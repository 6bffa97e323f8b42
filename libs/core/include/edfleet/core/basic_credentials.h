// HTTP Basic credentials (RFC 7617), parsed one way wherever the fleet accepts them (the gateway's
// API keys, ingest's direct LRS users): the scheme in any case, base64 of "user:password", the user
// up to the first colon.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edfleet::core {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// True when `authorization` uses the Basic scheme (any case, RFC 9110 11.1).
bool is_basic_authorization(std::string_view authorization);

// The user and password of a Basic Authorization value; nullopt when it is not Basic, the rest is
// not base64, or the decoded text has no ':'.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view authorization);

}  // namespace edfleet::core
