// The canonical content form and the Kafka key.
#include <catch2/catch.hpp>

#include "domain/content_hash.h"
#include "test_support.h"

using namespace edfleet::ingest;
using namespace edfleet::ingest::test;

TEST_CASE("content hash ignores received_at, trace_id and field order", "[hash]") {
  const auto base = sample_event("quiz.submitted");
  auto other = base;
  other.received_at = ProtoTime{123, 0};
  other.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  other.serialized_size = 999;
  other.payload.encoded = "different wire bytes";
  std::reverse(other.payload.fields.begin(), other.payload.fields.end());
  CHECK(content_hash(base) == content_hash(other));

  other.id = "00000000-0000-4000-8000-00000000000A";  // case of the UUID does not matter
  auto lower = base;
  lower.id = "00000000-0000-4000-8000-00000000000a";
  CHECK(content_hash(lower) == content_hash(other));
}

TEST_CASE("content hash changes with any content", "[hash]") {
  const auto base = sample_event("quiz.submitted");
  const std::string h = content_hash(base);
  auto e = base;
  e.tenant = "globex";
  CHECK(content_hash(e) != h);
  e = base;
  e.source = "other";
  CHECK(content_hash(e) != h);
  e = base;
  e.subject.course_id = "course-3";
  CHECK(content_hash(e) != h);
  e = base;
  e.occurred_at->nanos += 1000;
  CHECK(content_hash(e) != h);
  e = base;
  set_field(e, "quiz_submission.score", 7.5000001);
  CHECK(content_hash(e) != h);
  e = base;
  set_field(e, "quiz_submission.quiz_id", std::string("quiz-2"));
  CHECK(content_hash(e) != h);
  // Same text, different type of value, is different content.
  e = base;
  set_field(e, "quiz_submission.duration_seconds", std::uint64_t{1});
  auto e2 = base;
  set_field(e2, "quiz_submission.duration_seconds", std::int64_t{1});
  CHECK(content_hash(e) != content_hash(e2));
  // Length prefixes keep adjacent fields from running together.
  e = base;
  e.source = "ab";
  e.subject.learner_id = "c";
  e2 = base;
  e2.source = "a";
  e2.subject.learner_id = "bc";
  CHECK(content_hash(e) != content_hash(e2));
}

TEST_CASE("a live-class event is keyed by its session, even when it names a learner", "[key]") {
  auto e = sample_event();
  e.type = "session.chat_message";
  REQUIRE_FALSE(e.subject.learner_id.empty());
  CHECK(partition_key(e) == "acme/session-5");
}

TEST_CASE("kafka key is tenant/learner, else tutor, session, course, event id", "[key]") {
  auto e = sample_event();
  CHECK(partition_key(e) == "acme/learner-1");
  e.subject.learner_id.clear();
  CHECK(partition_key(e) == "acme/tutor-9");
  e.subject.tutor_id.clear();
  CHECK(partition_key(e) == "acme/session-5");
  e.subject.session_id.clear();
  CHECK(partition_key(e) == "acme/course-2");
  e.subject.course_id.clear();
  CHECK(partition_key(e) == "acme/" + e.id);
}

TEST_CASE("protobuf time conversions", "[time]") {
  const auto t = test_now() + std::chrono::microseconds(123456);
  const ProtoTime p = from_timestamp(t);
  CHECK(p.nanos == 123456000);
  CHECK(to_timestamp(p) == t);
  const ProtoTime before_epoch = from_timestamp(edfleet::core::Timestamp(std::chrono::microseconds(-1)));
  CHECK(before_epoch.seconds == -1);
  CHECK(before_epoch.nanos == 999999000);
  CHECK(is_valid_time(before_epoch));
  CHECK_FALSE(is_valid_time({0, -1}));
}
