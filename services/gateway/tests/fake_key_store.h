// In-memory ApiKeyStore and SecretSource for domain tests.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>

#include "ports/api_key_store.h"
#include "ports/secret_source.h"

namespace edfleet::gateway::testing {

class FakeKeyStore final : public ApiKeyStore {
 public:
  std::optional<ApiKeyRecord> find(const std::string& id) override {
    std::lock_guard lock(mutex_);
    ++finds;
    if (down) throw KeyStoreUnavailable(down_message);
    auto it = records_.find(id);
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }
  bool insert(const ApiKeyRecord& record) override {
    std::lock_guard lock(mutex_);
    if (down) throw KeyStoreUnavailable(down_message);
    return records_.emplace(record.id, record).second;
  }
  std::vector<ApiKeyRecord> list(const std::string& tenant) override {
    std::lock_guard lock(mutex_);
    if (down) throw KeyStoreUnavailable(down_message);
    std::vector<ApiKeyRecord> out;
    for (const auto& [id, r] : records_) {
      if (r.tenant == tenant) out.push_back(r);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
    return out;
  }
  std::optional<ApiKeyRecord> revoke(const std::string& id, core::Timestamp at) override {
    std::lock_guard lock(mutex_);
    if (down) throw KeyStoreUnavailable(down_message);
    auto it = records_.find(id);
    if (it == records_.end()) return std::nullopt;
    if (!it->second.revoked_at) it->second.revoked_at = at;
    return it->second;
  }
  int finds = 0;
  bool down = false;
  std::string down_message = "fake store down";  // what the store's exception says while down

 private:
  std::mutex mutex_;
  std::map<std::string, ApiKeyRecord> records_;
};

// Counts up from a seed, so ids and secrets are predictable yet distinct.
class CountingSecrets final : public SecretSource {
 public:
  std::string random_bytes(std::size_t count) override {
    std::string out(count, '\0');
    for (auto& c : out) c = static_cast<char>(next_++ * 37 + 11);
    return out;
  }
  void repeat_from(unsigned char value) { next_ = value; }

 private:
  unsigned char next_ = 1;
};

}  // namespace edfleet::gateway::testing
