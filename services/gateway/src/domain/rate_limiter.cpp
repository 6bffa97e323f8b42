#include "domain/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace edfleet::gateway {

std::optional<Rate> parse_rate(std::string_view text) {
  auto number = [](std::string_view s) -> std::optional<double> {
    if (s.empty()) return std::nullopt;
    try {
      std::size_t used = 0;
      double v = std::stod(std::string(s), &used);
      if (used != s.size() || !std::isfinite(v) || v < 0) return std::nullopt;
      return v;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  auto slash = text.find('/');
  auto rate = number(text.substr(0, slash));
  if (!rate) return std::nullopt;
  double burst = std::max(1.0, *rate);
  if (slash != std::string_view::npos) {
    auto b = number(text.substr(slash + 1));
    if (!b || *b < 1) return std::nullopt;
    burst = *b;
  }
  return Rate{*rate, burst};
}

TokenBucket::TokenBucket(Rate rate, std::chrono::steady_clock::time_point now)
    : rate_(rate), tokens_(rate.burst), updated_(now) {}

void TokenBucket::refill(std::chrono::steady_clock::time_point now) {
  if (now <= updated_) return;
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  tokens_ = std::min(rate_.burst, tokens_ + elapsed * rate_.per_second);
  updated_ = now;
}

std::chrono::microseconds TokenBucket::try_take(std::chrono::steady_clock::time_point now) {
  if (rate_.unlimited()) return std::chrono::microseconds(0);
  refill(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::chrono::microseconds(0);
  }
  const double wait_seconds = (1.0 - tokens_) / rate_.per_second;
  return std::chrono::microseconds(static_cast<std::int64_t>(std::ceil(wait_seconds * 1e6)));
}

void TokenBucket::give_back() {
  if (!rate_.unlimited()) tokens_ = std::min(rate_.burst, tokens_ + 1.0);
}

bool TokenBucket::full(std::chrono::steady_clock::time_point now) const {
  if (rate_.unlimited()) return true;
  const double elapsed = now > updated_ ? std::chrono::duration<double>(now - updated_).count() : 0.0;
  return tokens_ + elapsed * rate_.per_second >= rate_.burst;
}

RateLimiter::RateLimiter(const core::Clock& clock, RateLimits limits) : clock_(clock), limits_(std::move(limits)) {}

Rate RateLimiter::key_rate(std::string_view key) const {
  auto it = limits_.key_overrides.find(std::string(key));
  return it == limits_.key_overrides.end() ? limits_.key : it->second;
}

Rate RateLimiter::tenant_rate(std::string_view tenant) const {
  auto it = limits_.tenant_overrides.find(std::string(tenant));
  return it == limits_.tenant_overrides.end() ? limits_.tenant : it->second;
}

void RateLimiter::prune(std::unordered_map<std::string, TokenBucket>& buckets,
                        std::chrono::steady_clock::time_point now) {
  if (buckets.size() < limits_.max_tracked) return;
  for (auto it = buckets.begin(); it != buckets.end();) {
    it = it->second.full(now) ? buckets.erase(it) : std::next(it);
  }
}

TokenBucket& RateLimiter::bucket(std::unordered_map<std::string, TokenBucket>& buckets, std::string_view id,
                                 Rate rate, std::chrono::steady_clock::time_point now) {
  auto it = buckets.find(std::string(id));
  if (it != buckets.end()) return it->second;
  prune(buckets, now);
  return buckets.emplace(std::string(id), TokenBucket(rate, now)).first->second;
}

RateDecision RateLimiter::admit_address(std::string_view address) {
  if (limits_.address.unlimited() && limits_.address_auth_failures.unlimited()) return {};
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  if (!limits_.address_auth_failures.unlimited()) {
    // Look without taking: only failures spend this bucket.
    auto& failures = bucket(address_failures_, address, limits_.address_auth_failures, now);
    if (auto wait = failures.try_take(now); wait.count() > 0) {
      return {false, "address_auth_failures", std::chrono::ceil<std::chrono::milliseconds>(wait)};
    }
    failures.give_back();
  }
  if (!limits_.address.unlimited()) {
    auto& requests = bucket(addresses_, address, limits_.address, now);
    if (auto wait = requests.try_take(now); wait.count() > 0) {
      return {false, "address", std::chrono::ceil<std::chrono::milliseconds>(wait)};
    }
  }
  return {};
}

void RateLimiter::authentication_failed(std::string_view address) {
  if (limits_.address_auth_failures.unlimited()) return;
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  (void)bucket(address_failures_, address, limits_.address_auth_failures, now).try_take(now);
}

RateDecision RateLimiter::admit(std::string_view key, std::string_view tenant) {
  const Rate krate = key_rate(key);
  const Rate trate = tenant_rate(tenant);
  if (krate.unlimited() && trate.unlimited()) return {};
  const auto now = clock_.steady_now();
  auto to_retry = [](std::chrono::microseconds wait) {
    return std::chrono::ceil<std::chrono::milliseconds>(wait);
  };
  std::lock_guard lock(mutex_);
  TokenBucket* key_bucket = nullptr;
  if (!krate.unlimited()) {
    key_bucket = &bucket(keys_, key, krate, now);
    if (auto wait = key_bucket->try_take(now); wait.count() > 0) return {false, "key", to_retry(wait)};
  }
  if (!trate.unlimited()) {
    auto& tenant_bucket = bucket(tenants_, tenant, trate, now);
    if (auto wait = tenant_bucket.try_take(now); wait.count() > 0) {
      if (key_bucket != nullptr) key_bucket->give_back();
      return {false, "tenant", to_retry(wait)};
    }
  }
  return {};
}

}  // namespace edfleet::gateway
