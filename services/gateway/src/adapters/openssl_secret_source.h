// SecretSource backed by OpenSSL's CSPRNG (RAND_bytes).
#pragma once

#include "ports/secret_source.h"

namespace edfleet::gateway {

class OpensslSecretSource final : public SecretSource {
 public:
  // Throws std::runtime_error if the CSPRNG fails (it never should once seeded).
  std::string random_bytes(std::size_t count) override;
};

}  // namespace edfleet::gateway
