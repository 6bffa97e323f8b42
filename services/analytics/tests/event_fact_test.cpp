#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "domain/event_fact.h"
#include "edfleet/contracts/event_types.h"
#include "test_facts.h"

using namespace edfleet;
using namespace edfleet::analytics;
using namespace edfleet::analytics::testing;

TEST_CASE("a well-formed fact is storable", "[fact]") {
  CHECK(validate_fact(fact("acme", 1, "xapi.statement", "2026-11-25T10:00:00Z", "l-1")).ok());
  CHECK(validate_fact(fact("acme", 1, "session.participant_joined", "2026-11-25T10:00:00Z")).ok());
  CHECK(validate_fact(quiz("acme", 1, "2026-11-25T10:00:00Z", "Ünïcødé-学习者", 42.5)).ok());
}

TEST_CASE("facts that can never be stored are rejected, naming the field", "[fact]") {
  auto field_of = [](const EventFact& f) {
    auto result = validate_fact(f);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == core::ErrorCode::kInvalidArgument);
    return result.error().field;
  };
  auto ok = fact("acme", 1, "xapi.statement", "2026-11-25T10:00:00Z", "l-1");

  auto f = ok;
  f.tenant = "";
  CHECK(field_of(f) == "tenant");
  f.tenant = "ACME";
  CHECK(field_of(f) == "tenant");

  f = ok;
  f.event_id = "not-a-uuid";
  CHECK(field_of(f) == "id");

  for (const char* type : {"", "xapi", "Xapi.statement", "xapi..statement", "xapi.", ".xapi", "xapi statement"}) {
    INFO(type);
    f = ok;
    f.type = type;
    CHECK(field_of(f) == "type");
  }
  f = ok;
  f.type = "a." + std::string(kMaxTypeLength, 'b');
  CHECK(field_of(f) == "type");

  f = ok;
  f.learner_id = std::string("l\0x", 3);
  CHECK(field_of(f) == "subject.learner_id");
  f.learner_id = "\xff\xfe";
  CHECK(field_of(f) == "subject.learner_id");
  f.learner_id = std::string(kMaxLearnerIdLength + 1, 'l');
  CHECK(field_of(f) == "subject.learner_id");

  f = ok;
  f.occurred_at = core::Timestamp{};  // 1970: fine
  CHECK(validate_fact(f).ok());
  f.occurred_at = at("1899-12-31T23:59:59Z");
  CHECK(field_of(f) == "occurred_at");

  f = quiz("acme", 1, "2026-11-25T10:00:00Z", "l-1", std::numeric_limits<double>::quiet_NaN());
  CHECK(field_of(f) == "quiz_submission.score");
}

TEST_CASE("storable text is UTF-8 without NUL", "[fact]") {
  CHECK(is_storable_text(""));
  CHECK(is_storable_text("plain ascii"));
  CHECK(is_storable_text("\xc3\xa9"));                // é
  CHECK(is_storable_text("\xf0\x9f\x98\x80"));        // U+1F600
  CHECK_FALSE(is_storable_text("\xc3"));              // truncated
  CHECK_FALSE(is_storable_text("\xe2\x82"));          // truncated
  CHECK_FALSE(is_storable_text("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_storable_text("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(is_storable_text("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  CHECK_FALSE(is_storable_text("\x80"));              // stray continuation
}

TEST_CASE("the types analytics aggregates are types of the event contract") {
  for (auto type : {edfleet::analytics::kQuizSubmittedType, edfleet::analytics::kTutoringCompletedType,
                    edfleet::analytics::kIbCallLoggedType}) {
    INFO(type);
    CHECK(edfleet::contracts::find_event_type(type) != nullptr);
  }
}
