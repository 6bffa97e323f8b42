// The limit on calls in progress through the gateway (limits.max_concurrent_streams), shared by
// gRPC-Web and the forwarded HTTP routes so that one budget protects the workers and upstreams.
#pragma once

#include <atomic>

namespace edfleet::gateway {

class ConcurrencyLimit {
 public:
  explicit ConcurrencyLimit(int limit) : limit_(limit) {}

  // Takes a slot; false (and nothing taken) when `limit` calls are already in progress.
  bool try_acquire() {
    if (active_.fetch_add(1) >= limit_) {
      --active_;
      return false;
    }
    return true;
  }
  void release() { --active_; }

  int active() const { return active_.load(); }
  int limit() const { return limit_; }

 private:
  const int limit_;
  std::atomic<int> active_{0};
};

}  // namespace edfleet::gateway
