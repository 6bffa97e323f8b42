// The Publish use case with fake ports: partial success, idempotency, failures and concurrency.
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "domain/content_hash.h"
#include "domain/publish_batch.h"
#include "domain/session_sequence.h"
#include "test_support.h"

using namespace edfleet;
using namespace edfleet::ingest;
using namespace edfleet::ingest::test;

namespace {

struct Fixture {
  FakePublisher publisher;
  FakeLedger ledger;
  FakeLedger slots;
  core::ManualClock clock{test_now()};
  core::SequentialIdGenerator ids;
  PublishSettings settings;
  std::unique_ptr<PublishBatch> use_case;

  Fixture() { rebuild(); }
  void rebuild() { use_case = std::make_unique<PublishBatch>(publisher, ledger, slots, clock, ids, settings); }

  BatchResult run(std::vector<EventEnvelope> events, BatchContext context = {}) {
    auto result = use_case->execute(std::move(events), context);
    REQUIRE(result.ok());
    return std::move(result).value();
  }
};

}  // namespace

TEST_CASE("valid events are published, stamped and recorded", "[publish]") {
  Fixture f;
  auto a = sample_event("quiz.submitted", 1);
  auto b = sample_event("session.chat_message", 2);
  b.trace_id = "0af7651916cd43dd8448eb211c80319c";
  const auto result = f.run({a, b}, {"", "4bf92f3577b34da6a3ce929d0e0e4736"});

  REQUIRE(result.outcomes.size() == 2);
  for (const auto& o : result.outcomes) {
    CHECK(o.accepted);
    CHECK_FALSE(o.duplicate);
    CHECK(o.reason == RejectReason::kNone);
  }
  CHECK(result.outcomes[0].id == a.id);
  CHECK(result.accepted == 2);
  CHECK(result.published == 2);
  REQUIRE(f.publisher.published.size() == 2);
  const auto& p0 = f.publisher.published[0];
  REQUIRE(p0.received_at);
  CHECK(to_timestamp(*p0.received_at) == test_now());
  CHECK(p0.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");        // filled from the request
  CHECK(f.publisher.published[1].trace_id == "0af7651916cd43dd8448eb211c80319c");  // kept
  CHECK(f.ledger.rows.size() == 2);
  CHECK(f.ledger.rows.at(key_of(a)) == content_hash(a));
  // b's session sequence slot, held by b's id, in the slot store.
  REQUIRE(f.slots.rows.size() == 1);
  CHECK(f.slots.rows.at(sequence_key("acme", *sequence_slot(b))) == b.id);
}

TEST_CASE("without a request trace id one is generated", "[publish]") {
  Fixture f;
  f.run({sample_event()});
  REQUIRE(f.publisher.published.size() == 1);
  CHECK(core::is_trace_id(f.publisher.published[0].trace_id));
}

TEST_CASE("received_at sent by the producer is overwritten", "[publish]") {
  Fixture f;
  auto e = sample_event();
  e.received_at = ProtoTime{5, 0};
  f.run({e});
  CHECK(to_timestamp(*f.publisher.published.at(0).received_at) == test_now());
}

TEST_CASE("partial success: invalid events are rejected, the rest published", "[publish]") {
  Fixture f;
  auto good1 = sample_event("quiz.submitted", 1);
  auto bad_type = sample_event("quiz.submitted", 2);
  bad_type.type = "quiz.graded";
  auto good2 = sample_event("ops.ib_call_logged", 3);
  auto bad_score = sample_event("quiz.submitted", 4);
  set_field(bad_score, "quiz_submission.score", 11.0);

  const auto result = f.run({good1, bad_type, good2, bad_score});
  REQUIRE(result.outcomes.size() == 4);
  CHECK(result.outcomes[0].accepted);
  CHECK_FALSE(result.outcomes[1].accepted);
  CHECK(result.outcomes[1].reason == RejectReason::kUnknownType);
  CHECK(result.outcomes[1].field == "type");
  CHECK(result.outcomes[1].id == bad_type.id);
  CHECK(result.outcomes[2].accepted);
  CHECK(result.outcomes[3].reason == RejectReason::kInvalidField);
  CHECK(result.outcomes[3].field == "payload.quiz_submission.score");
  CHECK(result.accepted == 2);
  CHECK(result.rejected == 2);
  REQUIRE(f.publisher.published.size() == 2);
  CHECK(f.publisher.published[0].id == good1.id);
  CHECK(f.publisher.published[1].id == good2.id);
  CHECK(f.ledger.rows.size() == 2);
}

TEST_CASE("a repeated id within a batch: first processed, identical copies are duplicates", "[publish]") {
  Fixture f;
  auto e = sample_event("quiz.submitted", 1);
  auto copy = e;
  copy.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";  // not content
  const auto result = f.run({e, copy, sample_event("quiz.submitted", 2), e});
  REQUIRE(result.outcomes.size() == 4);
  CHECK(result.outcomes[0].accepted);
  CHECK_FALSE(result.outcomes[0].duplicate);
  CHECK(result.outcomes[1].accepted);
  CHECK(result.outcomes[1].duplicate);
  CHECK(result.outcomes[3].duplicate);
  CHECK(result.duplicates == 2);
  CHECK(result.published == 2);
  CHECK(f.publisher.published.size() == 2);
}

TEST_CASE("ids compare case-insensitively", "[publish]") {
  Fixture f;
  auto e = sample_event("quiz.submitted", 1);
  e.id = "3f2b8e0a-5c1d-4e8f-9a7b-1c2d3e4f5a6b";
  auto upper = e;
  upper.id = "3F2B8E0A-5C1D-4E8F-9A7B-1C2D3E4F5A6B";
  const auto result = f.run({e, upper});
  CHECK(result.outcomes[1].duplicate);
  CHECK(result.outcomes[1].id == upper.id);  // results echo the id as sent
  CHECK(f.publisher.published.size() == 1);
}

TEST_CASE("a repeated id within a batch with different content is id reuse", "[publish]") {
  Fixture f;
  auto e = sample_event("quiz.submitted", 1);
  auto changed = e;
  set_field(changed, "quiz_submission.score", 1.0);
  const auto result = f.run({e, changed});
  CHECK(result.outcomes[0].accepted);
  CHECK_FALSE(result.outcomes[1].accepted);
  CHECK(result.outcomes[1].reason == RejectReason::kIdReused);
  CHECK(result.outcomes[1].field == "id");
  CHECK(f.publisher.published.size() == 1);
}

TEST_CASE("after a changed copy of an accepted id, the unchanged retry in the same batch is a duplicate",
          "[publish]") {
  Fixture f;
  auto original = sample_event("quiz.submitted", 1);
  f.run({original});
  auto changed = original;
  changed.source = "replayed.by.mistake.example";
  const auto result = f.run({changed, original, changed});
  REQUIRE(result.outcomes.size() == 3);
  CHECK_FALSE(result.outcomes[0].accepted);
  CHECK(result.outcomes[0].reason == RejectReason::kIdReused);
  CHECK(result.outcomes[0].field == "id");
  CHECK(result.outcomes[0].message.find("accepted before") != std::string::npos);
  CHECK(result.outcomes[1].accepted);   // compared with what was accepted, not with the first copy
  CHECK(result.outcomes[1].duplicate);
  CHECK(result.outcomes[1].id == original.id);
  CHECK(result.outcomes[2].reason == RejectReason::kIdReused);
  CHECK(result.accepted == 1);
  CHECK(result.duplicates == 1);
  CHECK(result.rejected == 2);
  CHECK(result.published == 0);
  CHECK(f.publisher.published.size() == 1);
  CHECK(f.ledger.rows.at(key_of(original)) == content_hash(original));
}

TEST_CASE("a changed copy after a first copy that was not accepted shares its fate", "[publish]") {
  Fixture f;
  auto e = sample_event("quiz.submitted", 1);
  auto changed = e;
  set_field(changed, "quiz_submission.score", 1.0);
  f.publisher.fail_ids.insert(e.id);
  const auto result = f.run({e, changed});
  // Nothing is accepted under the id, so it is not "reused": both may be retried.
  CHECK(result.outcomes[0].reason == RejectReason::kUnavailable);
  CHECK(result.outcomes[1].reason == RejectReason::kUnavailable);
  CHECK(result.outcomes[1].id == changed.id);
  CHECK(f.ledger.rows.empty());
}

TEST_CASE("re-publishing a batch gives duplicates and publishes nothing new", "[publish]") {
  Fixture f;
  std::vector<EventEnvelope> batch = {sample_event("quiz.submitted", 1), sample_event("ops.session_started", 2)};
  auto invalid = sample_event("quiz.submitted", 3);
  invalid.source.clear();
  batch.push_back(invalid);
  const auto first = f.run(batch);
  f.clock.advance(std::chrono::minutes(10));
  batch[0].trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";  // retries may carry another trace id
  const auto second = f.run(batch);
  REQUIRE(second.outcomes.size() == 3);
  CHECK(second.outcomes[0].accepted);
  CHECK(second.outcomes[0].duplicate);
  CHECK(second.outcomes[1].duplicate);
  CHECK(second.outcomes[2].reason == RejectReason::kMissingField);
  CHECK(second.published == 0);
  CHECK(f.publisher.published.size() == 2);
  CHECK(first.outcomes[2].message == second.outcomes[2].message);
}

TEST_CASE("an id accepted before with different content is rejected as reused", "[publish]") {
  Fixture f;
  auto e = sample_event("quiz.submitted", 1);
  f.run({e});
  set_field(e, "quiz_submission.passed", false);
  const auto result = f.run({e});
  CHECK_FALSE(result.outcomes[0].accepted);
  CHECK(result.outcomes[0].reason == RejectReason::kIdReused);
  CHECK(f.publisher.published.size() == 1);
  CHECK(f.ledger.rows.size() == 1);
}

TEST_CASE("the same id in another tenant is another event", "[publish]") {
  Fixture f;
  auto e = sample_event("quiz.submitted", 1);
  auto other = e;
  other.tenant = "globex";
  const auto result = f.run({e, other});
  CHECK_FALSE(result.outcomes[1].duplicate);
  CHECK(f.publisher.published.size() == 2);
}

TEST_CASE("tenant from the caller: filled, and the same content as naming it", "[publish]") {
  Fixture f;
  auto e = sample_event("quiz.submitted", 1);
  e.tenant.clear();
  auto first = f.run({e}, {"acme", ""});
  CHECK(first.outcomes[0].accepted);
  CHECK(f.publisher.published.at(0).tenant == "acme");
  // An internal retry naming the tenant is the same event.
  auto named = sample_event("quiz.submitted", 1);
  auto second = f.run({named});
  CHECK(second.outcomes[0].duplicate);
  // A caller of another tenant may not publish into acme.
  auto third = f.run({named}, {"globex", ""});
  CHECK(third.outcomes[0].reason == RejectReason::kTenantMismatch);
}

TEST_CASE("events Kafka does not acknowledge are unavailable and not recorded", "[publish]") {
  Fixture f;
  auto ok = sample_event("quiz.submitted", 1);
  auto lost = sample_event("quiz.submitted", 2);
  f.publisher.fail_ids.insert(lost.id);
  const auto result = f.run({ok, lost, lost});
  CHECK(result.outcomes[0].accepted);
  CHECK_FALSE(result.outcomes[1].accepted);
  CHECK(result.outcomes[1].reason == RejectReason::kUnavailable);
  CHECK(result.outcomes[1].message.find("timed out") != std::string::npos);
  CHECK(result.outcomes[2].reason == RejectReason::kUnavailable);  // the copy shares its fate
  CHECK(result.unavailable == 2);
  CHECK(f.ledger.rows.count(key_of(lost)) == 0);
  CHECK(f.ledger.rows.count(key_of(ok)) == 1);

  // A retry once Kafka is back is a fresh accept, not a duplicate.
  f.publisher.fail_ids.clear();
  const auto retry = f.run({lost});
  CHECK(retry.outcomes[0].accepted);
  CHECK_FALSE(retry.outcomes[0].duplicate);
}

TEST_CASE("a publisher that throws makes the batch unavailable", "[publish]") {
  Fixture f;
  f.publisher.throw_all = true;
  auto bad = sample_event("quiz.submitted", 2);
  bad.type = "nope";
  const auto result = f.run({sample_event("quiz.submitted", 1), bad});
  CHECK(result.outcomes[0].reason == RejectReason::kUnavailable);
  CHECK(result.outcomes[1].reason == RejectReason::kUnknownType);
  CHECK(f.ledger.rows.empty());
  CHECK(f.use_case->in_flight() == 0);
}

TEST_CASE("an unreachable ledger makes events unavailable and publishes nothing", "[publish]") {
  Fixture f;
  f.ledger.fail_claim = true;
  const auto result = f.run({sample_event()});
  CHECK(result.outcomes[0].reason == RejectReason::kUnavailable);
  CHECK(f.publisher.published.empty());
}

TEST_CASE("a failed record after publishing still reports accepted", "[publish]") {
  Fixture f;
  f.ledger.fail_record = true;
  const auto result = f.run({sample_event()});
  CHECK(result.outcomes[0].accepted);
  CHECK(f.publisher.published.size() == 1);
}

TEST_CASE("batch size limit", "[publish]") {
  Fixture f;
  f.settings.max_batch_events = 3;
  f.rebuild();
  std::vector<EventEnvelope> batch;
  for (int i = 1; i <= 3; ++i) batch.push_back(sample_event("quiz.submitted", i));
  CHECK(f.use_case->execute(batch, {}).ok());
  batch.push_back(sample_event("quiz.submitted", 4));
  const auto result = f.use_case->execute(batch, {});
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == core::ErrorCode::kTooLarge);
  CHECK(f.publisher.published.size() == 3);

  Fixture d;
  std::vector<EventEnvelope> thousand;
  for (int i = 1; i <= 1000; ++i) thousand.push_back(sample_event("quiz.submitted", i));
  CHECK(d.run(thousand).accepted == 1000);
  thousand.push_back(sample_event("quiz.submitted", 1001));
  CHECK_FALSE(d.use_case->execute(thousand, {}).ok());
}

TEST_CASE("an invalid caller tenant fails the whole call", "[publish]") {
  Fixture f;
  const auto result = f.use_case->execute({sample_event()}, {"Not A Slug", ""});
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(f.publisher.published.empty());
}

TEST_CASE("an empty batch is fine", "[publish]") {
  Fixture f;
  CHECK(f.run({}).outcomes.empty());
}

TEST_CASE("concurrent batches with the same id publish it once", "[publish][concurrency]") {
  Fixture f;
  const auto e = sample_event("quiz.submitted", 1);
  f.publisher.hold();
  auto first = std::async(std::launch::async, [&] { return f.run({e}); });
  REQUIRE(f.publisher.wait_for_calls(1));  // the first batch is inside publish, holding the id
  CHECK(f.use_case->in_flight() == 1);
  auto second = std::async(std::launch::async, [&] { return f.run({e, sample_event("quiz.submitted", 2)}); });
  // The second batch publishes its other event (a second publish call) while it waits for the id.
  REQUIRE(f.publisher.wait_for_calls(2));
  f.publisher.release();
  const auto r1 = first.get();
  const auto r2 = second.get();
  CHECK(r1.outcomes[0].accepted);
  CHECK_FALSE(r1.outcomes[0].duplicate);
  CHECK(r2.outcomes[0].accepted);
  CHECK(r2.outcomes[0].duplicate);
  CHECK(r2.outcomes[1].accepted);
  CHECK_FALSE(r2.outcomes[1].duplicate);
  int copies = 0;
  for (const auto& p : f.publisher.published) copies += p.id == e.id ? 1 : 0;
  CHECK(copies == 1);
  CHECK(f.use_case->in_flight() == 0);
}

TEST_CASE("waiting for an in-flight id is bounded", "[publish][concurrency]") {
  Fixture f;
  f.settings.in_flight_wait = std::chrono::milliseconds(50);
  f.rebuild();
  const auto e = sample_event("quiz.submitted", 1);
  f.publisher.hold();
  auto first = std::async(std::launch::async, [&] { return f.run({e}); });
  REQUIRE(f.publisher.wait_for_calls(1));
  const auto second = f.run({e});
  CHECK(second.outcomes[0].reason == RejectReason::kUnavailable);
  f.publisher.release();
  CHECK(first.get().outcomes[0].accepted);
  CHECK(f.publisher.published.size() == 1);
}

// Claim before publish: the ledger holds an id (pending) before it is published, across replicas.

namespace {
// An event and the same id with other content.
struct ClaimFixture : Fixture {
  EventEnvelope original = sample_event("quiz.submitted", 1);
  EventEnvelope changed = [this] {
    auto copy = original;
    copy.source = "replayed.by.mistake.example";
    return copy;
  }();
};
}  // namespace

TEST_CASE("an id claimed by a process that died before recording holds its content", "[publish][claim]") {
  ClaimFixture f;
  const auto& original = f.original;
  const auto& changed = f.changed;
  // The crash: the claim is made (and the event maybe on the stream), the record never came.
  f.ledger.pending[key_of(original)] = content_hash(original);

  const auto refused = f.run({changed});
  CHECK(refused.outcomes[0].reason == RejectReason::kIdReused);
  CHECK(f.publisher.published.empty());
  CHECK(f.ledger.pending.at(key_of(original)) == content_hash(original));

  // The same content again is published again (consumers de-duplicate by id) and recorded.
  const auto retried = f.run({original, changed});
  CHECK(retried.outcomes[0].accepted);
  CHECK_FALSE(retried.outcomes[0].duplicate);
  CHECK(retried.outcomes[1].reason == RejectReason::kIdReused);
  CHECK(retried.published == 1);
  REQUIRE(f.publisher.published.size() == 1);
  CHECK(f.publisher.published[0].source == original.source);
  CHECK(f.ledger.pending.empty());
  CHECK(f.ledger.rows.at(key_of(original)) == content_hash(original));
}

TEST_CASE("a failed record leaves the claim pending: other content stays refused", "[publish][claim]") {
  ClaimFixture f;
  const auto& original = f.original;
  const auto& changed = f.changed;
  f.ledger.fail_record = true;
  CHECK(f.run({original}).outcomes[0].accepted);
  f.ledger.fail_record = false;
  CHECK(f.ledger.pending.count(key_of(original)) == 1);
  CHECK(f.run({changed}).outcomes[0].reason == RejectReason::kIdReused);
  CHECK(f.publisher.published.size() == 1);
}

TEST_CASE("claims of events the stream did not take are released", "[publish][claim]") {
  ClaimFixture f;
  const auto& e = f.original;
  const auto& changed = f.changed;
  f.publisher.fail_ids.insert(e.id);
  CHECK(f.run({e}).outcomes[0].reason == RejectReason::kUnavailable);
  CHECK(f.ledger.pending.empty());
  CHECK(f.ledger.release_calls == 1);
  // Nothing is held under the id: new content for it is a new event.
  f.publisher.fail_ids.clear();
  const auto result = f.run({changed});
  CHECK(result.outcomes[0].accepted);
  CHECK(f.ledger.rows.at(key_of(changed)) == content_hash(changed));

  // A publisher that throws releases too; a pending claim of someone else is never released.
  auto other = sample_event("quiz.submitted", 2);
  auto theirs = sample_event("quiz.submitted", 3);
  f.ledger.pending[key_of(theirs)] = content_hash(theirs);
  f.publisher.throw_all = true;
  const auto thrown = f.run({other, theirs});
  CHECK(thrown.unavailable == 2);
  CHECK(f.ledger.pending.size() == 1);
  CHECK(f.ledger.pending.count(key_of(theirs)) == 1);
}

TEST_CASE("a failed release keeps the claim: the same event retried is published", "[publish][claim]") {
  ClaimFixture f;
  const auto& e = f.original;
  const auto& changed = f.changed;
  f.publisher.fail_ids.insert(e.id);
  f.ledger.fail_release = true;
  CHECK(f.run({e}).outcomes[0].reason == RejectReason::kUnavailable);
  CHECK(f.ledger.pending.count(key_of(e)) == 1);
  f.publisher.fail_ids.clear();
  f.ledger.fail_release = false;
  CHECK(f.run({changed}).outcomes[0].reason == RejectReason::kIdReused);
  const auto retried = f.run({e});
  CHECK(retried.outcomes[0].accepted);
  CHECK(retried.published == 1);
  CHECK(f.ledger.rows.at(key_of(e)) == content_hash(e));
}

TEST_CASE("a session sequence names one event: another event for the slot is refused", "[publish][sequence]") {
  Fixture f;
  auto first = sample_event("session.chat_message", 7);
  auto other = sample_event("session.poll_voted", 8);
  set_field(other, "class_session.sequence", std::uint64_t{7});  // the slot `first` holds
  REQUIRE(f.run({first}).accepted == 1);
  const auto refused = f.run({other});
  REQUIRE(refused.outcomes.size() == 1);
  CHECK_FALSE(refused.outcomes[0].accepted);
  CHECK(refused.outcomes[0].reason == RejectReason::kSequenceConflict);
  CHECK(refused.outcomes[0].field == "class_session.sequence");
  CHECK(refused.outcomes[0].message.find("session session-5") != std::string::npos);
  CHECK(refused.outcomes[0].message.find("sequence 7") != std::string::npos);
  CHECK(f.publisher.published.size() == 1);
  // The refused event's id was given back: it may be used for a correct event.
  CHECK(f.ledger.rows.count(key_of(other)) == 0);
  CHECK(f.ledger.pending.count(key_of(other)) == 0);
  CHECK(f.slots.rows.size() == 1);
}

TEST_CASE("an identical retry of a session event is a duplicate, not a conflict", "[publish][sequence]") {
  Fixture f;
  auto event = sample_event("session.chat_message", 4);
  REQUIRE(f.run({event}).accepted == 1);
  const auto again = f.run({event});
  CHECK(again.outcomes[0].accepted);
  CHECK(again.outcomes[0].duplicate);
  CHECK(f.publisher.published.size() == 1);
}

TEST_CASE("two events for one slot in one batch: the first wins", "[publish][sequence]") {
  Fixture f;
  auto a = sample_event("session.chat_message", 11);
  auto b = sample_event("session.chat_message", 12);
  set_field(b, "class_session.sequence", std::uint64_t{11});
  const auto result = f.run({a, b});
  CHECK(result.outcomes[0].accepted);
  CHECK(result.outcomes[1].reason == RejectReason::kSequenceConflict);
}

TEST_CASE("gaps in a session's sequence are accepted and counted", "[publish][sequence]") {
  Fixture f;
  CHECK(f.run({sample_event("session.chat_message", 1)}).sequence_gaps == 0);
  const auto skipped = f.run({sample_event("session.chat_message", 5)});
  CHECK(skipped.accepted == 1);
  CHECK(skipped.sequence_gaps == 3);  // 2, 3 and 4 are missing
  // A late one fills a gap: accepted, no new gap.
  const auto late = f.run({sample_event("session.chat_message", 3)});
  CHECK(late.accepted == 1);
  CHECK(late.sequence_gaps == 0);
}

TEST_CASE("a session event the stream did not take gives its slot back", "[publish][sequence]") {
  Fixture f;
  auto lost = sample_event("session.chat_message", 20);
  f.publisher.fail_ids.insert(lost.id);
  CHECK(f.run({lost}).unavailable == 1);
  CHECK(f.slots.pending.empty());  // released
  f.publisher.fail_ids.clear();
  auto replacement = sample_event("session.chat_message", 21);
  set_field(replacement, "class_session.sequence", std::uint64_t{20});
  CHECK(f.run({replacement}).outcomes[0].accepted);
}

TEST_CASE("events of other types, and session events without a sequence, claim no slot", "[publish][sequence]") {
  Fixture f;
  auto quiz = sample_event("quiz.submitted", 30);
  auto unsequenced = sample_event("session.chat_message", 31);
  set_field(unsequenced, "class_session.sequence", std::uint64_t{0});
  REQUIRE(f.run({quiz, unsequenced}).accepted == 2);
  CHECK(f.ledger.rows.size() == 2);
  CHECK(f.slots.rows.empty());
  CHECK(f.slots.claim_calls == 0);
}
