// Token-bucket rate limits per credential (API key or JWT subject) and per tenant, and, ahead of
// authentication, per client address: its requests, and its failed authentications (each unknown
// key id costs a database lookup, so guessing keys must be slow).
//
// A request is admitted when both its key's bucket and its tenant's bucket hold a token; it then
// takes one from each. A refusal says which limit was hit and how long until a token is back, so
// transports can answer 429 / RESOURCE_EXHAUSTED with Retry-After. Time comes from the injected
// clock's steady reading, so tests drive it with ManualClock.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "edfleet/core/clock.h"
#include "edfleet/core/result.h"

namespace edfleet::gateway {

// `per_second` tokens are added per second up to `burst`. per_second <= 0 means unlimited.
struct Rate {
  double per_second = 0;
  double burst = 0;
  bool unlimited() const { return per_second <= 0; }
};

// Parses "rate/burst" (e.g. "50/100", "0.5/3") or "rate" (burst = rate, at least 1). nullopt
// when malformed or negative.
std::optional<Rate> parse_rate(std::string_view text);

class TokenBucket {
 public:
  TokenBucket(Rate rate, std::chrono::steady_clock::time_point now);
  // Takes a token and returns zero, or returns how long until one is available (taking nothing).
  std::chrono::microseconds try_take(std::chrono::steady_clock::time_point now);
  // Puts back a token taken by mistake (when the other limit refused the request).
  void give_back();
  // True when the bucket is full at `now` (it can be forgotten without changing behaviour).
  bool full(std::chrono::steady_clock::time_point now) const;

 private:
  void refill(std::chrono::steady_clock::time_point now);
  Rate rate_;
  double tokens_;
  std::chrono::steady_clock::time_point updated_;
};

struct RateLimits {
  Rate key;                                // default per key / JWT subject
  Rate tenant;                             // default per tenant
  std::map<std::string, Rate> key_overrides;     // by key id or limit key
  std::map<std::string, Rate> tenant_overrides;  // by tenant
  Rate address;                            // every request, per client address, before authentication
  Rate address_auth_failures;              // failed authentications per client address
  std::size_t max_tracked = 100000;        // idle (full) buckets are forgotten beyond this many
};

struct RateDecision {
  bool allowed = true;
  std::string scope;                       // "key" or "tenant" when refused
  std::chrono::milliseconds retry_after{0};  // when refused: until a token is back (rounded up)
};

class RateLimiter {
 public:
  RateLimiter(const core::Clock& clock, RateLimits limits);
  // Thread-safe.
  RateDecision admit(std::string_view key, std::string_view tenant);
  // Before authentication: refused ("address") when the address sends too fast, or
  // ("address_auth_failures") while its failed authentications are over their rate. Thread-safe.
  RateDecision admit_address(std::string_view address);
  // Counts a failed authentication from `address`. Thread-safe.
  void authentication_failed(std::string_view address);

 private:
  TokenBucket& bucket(std::unordered_map<std::string, TokenBucket>& buckets, std::string_view id, Rate rate,
                      std::chrono::steady_clock::time_point now);
  void prune(std::unordered_map<std::string, TokenBucket>& buckets, std::chrono::steady_clock::time_point now);
  Rate key_rate(std::string_view key) const;
  Rate tenant_rate(std::string_view tenant) const;

  const core::Clock& clock_;
  RateLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> keys_;
  std::unordered_map<std::string, TokenBucket> tenants_;
  std::unordered_map<std::string, TokenBucket> addresses_;
  std::unordered_map<std::string, TokenBucket> address_failures_;
};

}  // namespace edfleet::gateway
