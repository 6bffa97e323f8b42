// Cryptographically secure random bytes (OpenSSL's RAND_bytes in production), for API key ids and
// secrets.
#pragma once

#include <cstddef>
#include <string>

namespace edfleet::gateway {

class SecretSource {
 public:
  virtual ~SecretSource() = default;
  virtual std::string random_bytes(std::size_t count) = 0;
};

}  // namespace edfleet::gateway
