#include "adapters/openssl_secret_source.h"

#include <stdexcept>

#include <openssl/rand.h>

namespace edfleet::gateway {

std::string OpensslSecretSource::random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

}  // namespace edfleet::gateway
