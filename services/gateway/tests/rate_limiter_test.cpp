// Token buckets per key and per tenant, on a manual clock.
#include <catch2/catch.hpp>

#include "domain/concurrency_limit.h"
#include "domain/rate_limiter.h"

using namespace edfleet::gateway;
using namespace std::chrono_literals;

namespace {
edfleet::core::Timestamp start() { return edfleet::core::Timestamp(std::chrono::seconds(1'700'000'000)); }
}  // namespace

TEST_CASE("rates parse as rate/burst") {
  CHECK(parse_rate("50/100")->per_second == 50);
  CHECK(parse_rate("50/100")->burst == 100);
  CHECK(parse_rate("0.5/3")->per_second == 0.5);
  CHECK(parse_rate("20")->burst == 20);
  CHECK(parse_rate("0.2")->burst == 1);
  CHECK(parse_rate("0")->unlimited());
  CHECK_FALSE(parse_rate("-1"));
  CHECK_FALSE(parse_rate("x/2"));
  CHECK_FALSE(parse_rate("5/0"));
  CHECK_FALSE(parse_rate(""));
}

TEST_CASE("a bucket allows a burst, then one request per 1/rate seconds") {
  edfleet::core::ManualClock clock(start());
  TokenBucket bucket(Rate{2, 3}, clock.steady_now());
  for (int i = 0; i < 3; ++i) CHECK(bucket.try_take(clock.steady_now()).count() == 0);
  CHECK(bucket.try_take(clock.steady_now()) == 500ms);
  clock.advance(250ms);
  CHECK(bucket.try_take(clock.steady_now()) == 250ms);
  clock.advance(250ms);
  CHECK(bucket.try_take(clock.steady_now()).count() == 0);
  CHECK_FALSE(bucket.full(clock.steady_now()));
  clock.advance(10s);
  CHECK(bucket.full(clock.steady_now()));
}

TEST_CASE("the limiter refuses with the scope and a retry-after, per key and per tenant") {
  edfleet::core::ManualClock clock(start());
  RateLimits limits;
  limits.key = Rate{1, 2};
  limits.tenant = Rate{10, 3};
  limits.tenant_overrides["big"] = Rate{0, 0};  // unlimited
  limits.key_overrides["vip"] = Rate{100, 100};
  RateLimiter limiter(clock, limits);

  CHECK(limiter.admit("k1", "acme").allowed);
  CHECK(limiter.admit("k1", "acme").allowed);
  auto refused = limiter.admit("k1", "acme");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.scope == "key");
  CHECK(refused.retry_after == 1000ms);

  // Another key of the same tenant: the tenant bucket (3) has one token left.
  CHECK(limiter.admit("k2", "acme").allowed);
  auto tenant_refused = limiter.admit("k2", "acme");
  CHECK_FALSE(tenant_refused.allowed);
  CHECK(tenant_refused.scope == "tenant");
  CHECK(tenant_refused.retry_after == 100ms);
  // The key's token was given back: after the tenant refill, k2 still has its second token.
  clock.advance(100ms);
  CHECK(limiter.admit("k2", "acme").allowed);

  // Other tenants are not affected; overrides apply.
  CHECK(limiter.admit("k3", "globex").allowed);
  for (int i = 0; i < 50; ++i) CHECK(limiter.admit("vip", "big").allowed);
}

TEST_CASE("unlimited rates admit everything") {
  edfleet::core::ManualClock clock(start());
  RateLimiter limiter(clock, RateLimits{});
  for (int i = 0; i < 1000; ++i) REQUIRE(limiter.admit("k", "t").allowed);
}

TEST_CASE("idle buckets are forgotten when too many are tracked") {
  edfleet::core::ManualClock clock(start());
  RateLimits limits;
  limits.key = Rate{1, 1};
  limits.max_tracked = 10;
  RateLimiter limiter(clock, limits);
  for (int i = 0; i < 100; ++i) CHECK(limiter.admit("k" + std::to_string(i), "t").allowed);
  clock.advance(2s);
  for (int i = 0; i < 100; ++i) CHECK(limiter.admit("k" + std::to_string(i), "t").allowed);
}

TEST_CASE("the concurrency limit gives out at most its slots, and takes them back") {
  ConcurrencyLimit calls(2);
  CHECK(calls.try_acquire());
  CHECK(calls.try_acquire());
  CHECK_FALSE(calls.try_acquire());
  CHECK(calls.active() == 2);  // a refusal takes nothing
  calls.release();
  CHECK(calls.try_acquire());
  CHECK(calls.limit() == 2);
}
