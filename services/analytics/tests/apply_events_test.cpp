#include <catch2/catch.hpp>

#include <vector>

#include "domain/apply_events.h"
#include "fake_event_count_store.h"
#include "test_facts.h"

using namespace edfleet::analytics;
using namespace edfleet::analytics::testing;

namespace {

std::vector<EventFact> three_events() {
  return {fact("acme", 1, "xapi.statement", "2026-11-25T10:00:00Z", "l-1"),
          quiz("acme", 2, "2026-11-25T11:00:00Z", "l-1", 75.0),
          fact("acme", 3, "xapi.statement", "2026-11-25T12:00:00Z", "l-2")};
}

}  // namespace

TEST_CASE("a batch's counts and offsets are applied in one commit", "[apply]") {
  FakeEventCountStore store;
  ApplyEvents apply(store);
  const auto facts = three_events();
  const std::vector<PartitionOffset> offsets = {{"edfleet.events.v1", 0, 12}, {"edfleet.events.v1", 3, 5}};

  const auto outcome = apply(facts, offsets);
  CHECK(outcome.applied == 3);
  CHECK(outcome.duplicates == 0);
  CHECK(store.commits == 1);
  CHECK(store.state.event_counts.at({"acme", "2026-11-25", "xapi.statement"}) == 2);
  CHECK(store.state.learners.at({"acme", "l-1"}).total_events == 2);
  CHECK(store.stored_offset("edfleet.events.v1", 0) == 12);
  CHECK(store.stored_offset("edfleet.events.v1", 3) == 5);
  CHECK_FALSE(store.stored_offset("edfleet.events.v1", 1).has_value());
}

TEST_CASE("a batch delivered again changes no count", "[apply]") {
  FakeEventCountStore store;
  ApplyEvents apply(store);
  const auto facts = three_events();
  const std::vector<PartitionOffset> offsets = {{"t", 0, 3}};
  (void)apply(facts, offsets);
  const auto before = store.state;

  const auto again = apply(facts, offsets);
  CHECK(again.applied == 0);
  CHECK(again.duplicates == 3);
  CHECK(store.state.event_counts == before.event_counts);
  CHECK(store.state.learners == before.learners);

  // Overlapping: one old event, one new.
  const std::vector<EventFact> overlap = {facts[0], fact("acme", 4, "xapi.statement", "2026-11-25T13:00:00Z", "l-1")};
  const auto mixed = apply(overlap, std::vector<PartitionOffset>{{"t", 0, 5}});
  CHECK(mixed.applied == 1);
  CHECK(mixed.duplicates == 1);
  CHECK(store.state.event_counts.at({"acme", "2026-11-25", "xapi.statement"}) == 3);
  CHECK(store.state.learners.at({"acme", "l-1"}).total_events == 3);
}

TEST_CASE("duplicates inside one batch are counted once", "[apply]") {
  FakeEventCountStore store;
  ApplyEvents apply(store);
  auto facts = three_events();
  facts.push_back(facts[1]);
  facts.push_back(facts[1]);
  const auto outcome = apply(facts, {});
  CHECK(outcome.applied == 3);
  CHECK(outcome.duplicates == 2);
  CHECK(store.state.event_counts.at({"acme", "2026-11-25", "quiz.submitted"}) == 1);
  CHECK(store.state.learners.at({"acme", "l-1"}).quiz_submissions == 1);
}

TEST_CASE("a failed commit applies nothing, and the retry counts each event once", "[apply]") {
  FakeEventCountStore store;
  ApplyEvents apply(store);
  const auto facts = three_events();
  const std::vector<PartitionOffset> offsets = {{"t", 0, 3}};

  store.fail_commit = true;
  CHECK_THROWS_AS(apply(facts, offsets), StoreUnavailable);
  CHECK(store.state.processed.empty());
  CHECK(store.state.event_counts.empty());
  CHECK_FALSE(store.stored_offset("t", 0).has_value());

  store.unavailable = true;
  CHECK_THROWS_AS(apply(facts, offsets), StoreUnavailable);

  store.unavailable = false;
  store.fail_commit = false;
  const auto outcome = apply(facts, offsets);
  CHECK(outcome.applied == 3);
  CHECK(store.state.event_counts.at({"acme", "2026-11-25", "xapi.statement"}) == 2);
  CHECK(store.stored_offset("t", 0) == 3);
}

TEST_CASE("a batch of only offsets (nothing new) still stores its offsets", "[apply]") {
  FakeEventCountStore store;
  ApplyEvents apply(store);
  const auto outcome = apply({}, std::vector<PartitionOffset>{{"t", 2, 40}});
  CHECK(outcome.applied == 0);
  CHECK(store.stored_offset("t", 2) == 40);
}
