// Content hashes (OpenSSL's SHA-256), for checksums and idempotency keys.
#pragma once

#include <string>
#include <string_view>

namespace edfleet::core {

// Lower-case hex of arbitrary bytes (digests, MACs, random secrets).
std::string to_hex(std::string_view bytes);

// Lower-case hex SHA-256 digest of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace edfleet::core
