// The bounded cache in front of the ledger.
#include <catch2/catch.hpp>

#include "adapters/caching_accepted_event_ledger.h"
#include "test_support.h"

using namespace edfleet::ingest;
using namespace edfleet::ingest::test;

namespace {
EventKey key(int n) { return {"acme", uuid(n)}; }
AcceptedEvent accepted(int n, std::string hash) { return {key(n), std::move(hash), test_now()}; }
using State = LedgerClaim::State;
std::vector<LedgerClaim> claim(CachingAcceptedEventLedger& cache, std::vector<AcceptedEvent> wanted) {
  return cache.claim(wanted);
}
}  // namespace

TEST_CASE("recorded keys are answered from the cache", "[cache]") {
  FakeLedger store;
  CachingAcceptedEventLedger cache(store, 10);
  const std::vector<AcceptedEvent> events = {accepted(1, "h1"), accepted(2, "h2")};
  cache.record(events);
  CHECK(store.rows.size() == 2);

  const auto claims = claim(cache, {accepted(1, "h1"), accepted(2, "other")});
  CHECK((claims[0].state == State::kAccepted && claims[0].content_hash == "h1"));
  CHECK((claims[1].state == State::kAccepted && claims[1].content_hash == "h2"));
  CHECK(store.claim_calls == 0);
}

TEST_CASE("misses go to the store, accepted ones are cached, claims and pending ones are not", "[cache]") {
  FakeLedger store;
  store.rows[key(3)] = "h3";
  store.pending[key(5)] = "h5";
  CachingAcceptedEventLedger cache(store, 10);
  auto claims = claim(cache, {accepted(3, "h3"), accepted(4, "h4"), accepted(5, "h5")});
  CHECK(claims[0].state == State::kAccepted);
  CHECK(claims[1].state == State::kClaimed);
  CHECK((claims[2].state == State::kPending && claims[2].content_hash == "h5"));
  CHECK(store.claim_calls == 1);
  CHECK(cache.size() == 1);
  // 4 and 5 are pending: asked again (their claims may be released, or accepted elsewhere meanwhile).
  claims = claim(cache, {accepted(3, "h3"), accepted(4, "h4"), accepted(5, "h5")});
  CHECK(store.claim_calls == 2);
  CHECK((claims[1].state == State::kPending && claims[2].state == State::kPending));
  // A released claim is free again: the cache had not kept it.
  cache.release(std::vector<AcceptedEvent>{accepted(4, "h4")});
  claims = claim(cache, {accepted(4, "other")});
  CHECK((claims[0].state == State::kClaimed && claims[0].content_hash == "other"));
  claim(cache, {accepted(3, "h3")});
  CHECK(store.claim_calls == 3);
}

TEST_CASE("the cache is bounded and evicts the least recently used", "[cache]") {
  FakeLedger store;
  CachingAcceptedEventLedger cache(store, 2);
  cache.record(std::vector<AcceptedEvent>{accepted(1, "h1"), accepted(2, "h2")});
  claim(cache, {accepted(1, "h1")});  // 1 is now the most recent
  cache.record(std::vector<AcceptedEvent>{accepted(3, "h3")});
  CHECK(cache.size() == 2);
  claim(cache, {accepted(1, "h1"), accepted(3, "h3")});
  CHECK(store.claim_calls == 0);
  claim(cache, {accepted(2, "h2")});  // evicted: goes to the store
  CHECK(store.claim_calls == 1);
}

TEST_CASE("a failed record is not cached and the first hash of a key wins", "[cache]") {
  FakeLedger store;
  CachingAcceptedEventLedger cache(store, 10);
  store.fail_record = true;
  CHECK_THROWS(cache.record(std::vector<AcceptedEvent>{accepted(1, "h1")}));
  CHECK(cache.size() == 0);
  store.fail_record = false;
  cache.record(std::vector<AcceptedEvent>{accepted(1, "h1")});
  cache.record(std::vector<AcceptedEvent>{accepted(1, "other")});
  CHECK(claim(cache, {accepted(1, "other")})[0].content_hash == "h1");
}
