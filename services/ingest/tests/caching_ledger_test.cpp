// The bounded cache in front of the ledger.
#include <catch2/catch.hpp>

#include "adapters/caching_accepted_event_ledger.h"
#include "test_support.h"

using namespace edfleet::ingest;
using namespace edfleet::ingest::test;

namespace {
EventKey key(int n) { return {"acme", uuid(n)}; }
AcceptedEvent accepted(int n, std::string hash) { return {key(n), std::move(hash), test_now()}; }
}  // namespace

TEST_CASE("recorded keys are answered from the cache", "[cache]") {
  FakeLedger store;
  CachingAcceptedEventLedger cache(store, 10);
  const std::vector<AcceptedEvent> events = {accepted(1, "h1"), accepted(2, "h2")};
  cache.record(events);
  CHECK(store.rows.size() == 2);

  const std::vector<EventKey> keys = {key(1), key(2)};
  const auto found = cache.find(keys);
  CHECK(found.at(key(1)) == "h1");
  CHECK(found.at(key(2)) == "h2");
  CHECK(store.find_calls == 0);
}

TEST_CASE("misses go to the store and hits found there are cached", "[cache]") {
  FakeLedger store;
  store.rows[key(3)] = "h3";
  CachingAcceptedEventLedger cache(store, 10);
  const std::vector<EventKey> keys = {key(3), key(4)};
  auto found = cache.find(keys);
  CHECK(found.size() == 1);
  CHECK(store.find_calls == 1);
  // key(4) is absent: it is asked again (another replica may have accepted it meanwhile).
  found = cache.find(keys);
  CHECK(found.size() == 1);
  CHECK(store.find_calls == 2);
  const std::vector<EventKey> only3 = {key(3)};
  cache.find(only3);
  CHECK(store.find_calls == 2);
}

TEST_CASE("the cache is bounded and evicts the least recently used", "[cache]") {
  FakeLedger store;
  CachingAcceptedEventLedger cache(store, 2);
  cache.record(std::vector<AcceptedEvent>{accepted(1, "h1"), accepted(2, "h2")});
  cache.find(std::vector<EventKey>{key(1)});  // 1 is now the most recent
  cache.record(std::vector<AcceptedEvent>{accepted(3, "h3")});
  CHECK(cache.size() == 2);
  cache.find(std::vector<EventKey>{key(1), key(3)});
  CHECK(store.find_calls == 0);
  cache.find(std::vector<EventKey>{key(2)});  // evicted: goes to the store
  CHECK(store.find_calls == 1);
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
  CHECK(cache.find(std::vector<EventKey>{key(1)}).at(key(1)) == "h1");
}
