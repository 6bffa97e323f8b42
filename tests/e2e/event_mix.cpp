#include "event_mix.h"

#include <map>

#include <cstdio>
#include <random>
#include <set>
#include <stdexcept>

#include "edfleet/core/time_format.h"

namespace edfleet::e2e {

namespace {

using events::v1::Event;
using ingest::v1::RejectReason;

constexpr int kDays = 7;
constexpr int kLearners = 40;    // the same learner ids in every tenant: isolation must hold
constexpr int kTutors = 12;
constexpr int kSessions = 30;

enum class Kind {
  kXapi,
  kQuiz,
  kSessionStarted,
  kParticipantJoined,
  kChatMessage,
  kSessionEnded,
  kTutoringStarted,
  kTutoringCompleted,
  kIbCall,
  kCustomerHealth,
  kTutorAvailability,
  kSupplyDemand,
  kCount
};

// The ways an event is broken, each one tripping exactly one of ingest's rules.
enum class Breakage {
  kMissingId,
  kBadId,
  kUnknownType,
  kBadTenant,          // not a slug (internal batch) / another tenant (authenticated batch)
  kMissingSource,
  kMissingOccurredAt,
  kFutureOccurredAt,
  kPayloadMismatch,
  kScoreAboveMax,
  kXapiWithoutLearner,
  kBadTraceId,
  kTooLarge,
  kBadOutcome,
  kCount
};

class Generator {
 public:
  Generator(std::uint64_t seed, core::Timestamp now, core::Timestamp first_day)
      : rng_(seed), now_(now), first_day_(first_day) {}

  std::uint64_t next(std::uint64_t bound) { return rng_() % bound; }

  std::string uuid() {
    auto high = rng_();
    auto low = rng_();
    return format_uuid(high, low);
  }

  Event valid(const std::string& tenant, Kind kind) {
    Event e;
    e.set_id(uuid());
    e.set_tenant(tenant);
    e.set_source("lms." + tenant + ".example");
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(first_day_.time_since_epoch()).count() +
                   static_cast<std::int64_t>(next(kDays)) * 86400 + static_cast<std::int64_t>(next(86400));
    e.mutable_occurred_at()->set_seconds(seconds);
    const std::string learner = "learner-" + std::to_string(next(kLearners));
    const std::string tutor = "tutor-" + std::to_string(next(kTutors));
    const std::string session = "session-" + std::to_string(next(kSessions));
    auto* subject = e.mutable_subject();
    switch (kind) {
      case Kind::kXapi: {
        e.set_type("xapi.statement");
        subject->set_learner_id(learner);
        subject->set_course_id("course-" + std::to_string(next(5)));
        auto* x = e.mutable_xapi_statement();
        x->set_statement_json(R"({"actor":{"mbox":"mailto:)" + learner +
                              R"(@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},)"
                              R"("object":{"id":"http://example.org/activities/)" + std::to_string(next(100)) + R"("}})");
        x->set_version(next(2) == 0 ? "1.0.3" : "2.0.0");
        break;
      }
      case Kind::kQuiz: {
        e.set_type("quiz.submitted");
        subject->set_learner_id(learner);
        auto* q = e.mutable_quiz_submission();
        q->set_quiz_id("quiz-" + std::to_string(next(8)));
        q->set_attempt_id(uuid());
        const double max = next(2) == 0 ? 10 : 20;
        const double score = static_cast<double>(next(static_cast<std::uint64_t>(max) * 2 + 1)) / 2;   // halves
        q->set_max_score(max);
        q->set_score(score);
        q->set_passed(score >= max * 0.6);
        q->set_duration_seconds(static_cast<std::uint32_t>(60 + next(1200)));
        for (int i = 0; i < 2; ++i) {
          auto* r = q->add_questions();
          r->set_question_id("question-" + std::to_string(i));
          r->set_correct(next(2) == 0);
          r->set_points(r->correct() ? 1 : 0);
        }
        break;
      }
      case Kind::kSessionStarted:
        e.set_type("session.started");
        subject->set_session_id(session);
        e.mutable_class_session()->set_sequence(next_sequence(tenant, session));
        e.mutable_class_session()->mutable_started()->set_host_id(tutor);
        break;
      case Kind::kParticipantJoined: {
        e.set_type("session.participant_joined");
        subject->set_session_id(session);
        subject->set_learner_id(learner);
        auto* cs = e.mutable_class_session();
        cs->set_sequence(next_sequence(tenant, session));
        auto* j = cs->mutable_participant_joined();
        j->set_participant_id(learner);
        j->set_role("learner");
        j->set_device(next(4) == 0 ? "vr" : "web");
        break;
      }
      case Kind::kChatMessage: {
        e.set_type("session.chat_message");
        subject->set_session_id(session);
        subject->set_learner_id(learner);
        auto* cs = e.mutable_class_session();
        cs->set_sequence(next_sequence(tenant, session));
        auto* m = cs->mutable_chat_message();
        m->set_message_id(uuid());
        m->set_author_id(learner);
        m->set_text("Is the answer " + std::to_string(next(100)) + "?");
        break;
      }
      case Kind::kSessionEnded: {
        e.set_type("session.ended");
        subject->set_session_id(session);
        auto* cs = e.mutable_class_session();
        cs->set_sequence(next_sequence(tenant, session));
        cs->mutable_ended()->set_reason("completed");
        cs->mutable_ended()->set_duration_seconds(static_cast<std::uint32_t>(1800 + next(1800)));
        break;
      }
      case Kind::kTutoringStarted: {
        e.set_type("ops.session_started");
        subject->set_learner_id(learner);
        subject->set_tutor_id(tutor);
        auto* s = e.mutable_tutoring_session_started();
        s->set_subject_area(next(2) == 0 ? "algebra" : "chemistry");
        s->set_first_session(next(5) == 0);
        break;
      }
      case Kind::kTutoringCompleted: {
        e.set_type("ops.session_completed");
        subject->set_learner_id(learner);
        subject->set_tutor_id(tutor);
        static const char* kOutcomes[] = {"completed", "completed", "completed", "no_show_learner",
                                          "no_show_tutor", "cancelled", "failed"};
        auto* c = e.mutable_tutoring_session_completed();
        c->set_subject_area("algebra");
        c->set_outcome(kOutcomes[next(7)]);
        c->set_duration_minutes(static_cast<std::uint32_t>(next(90)));
        c->set_rating(static_cast<std::uint32_t>(next(6)));
        break;
      }
      case Kind::kIbCall: {
        e.set_type("ops.ib_call_logged");
        subject->set_learner_id(learner);
        auto* c = e.mutable_ib_call_logged();
        c->set_call_id(uuid());
        static const char* kReasons[] = {"billing", "scheduling", "technical", "quality", "cancel_request", "other"};
        c->set_reason(kReasons[next(6)]);
        c->set_duration_seconds(static_cast<std::uint32_t>(next(900)));
        c->set_sentiment(next(3) == 0 ? "negative" : "neutral");
        break;
      }
      case Kind::kCustomerHealth: {
        e.set_type("ops.customer_health_update");
        subject->set_learner_id(learner);
        auto* h = e.mutable_customer_health_update();
        h->set_health_score(static_cast<double>(next(101)));
        h->set_session_velocity(static_cast<double>(next(10)) / 2);
        h->set_ib_calls_30d(static_cast<std::uint32_t>(next(5)));
        h->set_plan("standard");
        break;
      }
      case Kind::kTutorAvailability: {
        e.set_type("ops.tutor_availability_updated");
        subject->set_tutor_id(tutor);
        auto* a = e.mutable_tutor_availability_updated();
        a->set_subject_area("algebra");
        a->set_weekday(static_cast<std::uint32_t>(next(7)));
        a->set_hour(static_cast<std::uint32_t>(next(24)));
        a->set_available_slots(static_cast<std::uint32_t>(next(6)));
        break;
      }
      case Kind::kSupplyDemand: {
        e.set_type("ops.supply_demand_update");
        auto* s = e.mutable_supply_demand_update();
        s->set_subject_area("chemistry");
        s->set_hour(static_cast<std::uint32_t>(next(24)));
        s->set_open_requests(static_cast<std::uint32_t>(next(40)));
        s->set_available_tutors(static_cast<std::uint32_t>(next(20)));
        break;
      }
      case Kind::kCount:
        throw std::logic_error("no such kind");
    }
    return e;
  }

  Kind any_kind() { return static_cast<Kind>(next(static_cast<std::uint64_t>(Kind::kCount))); }

  // An invalid event, and what ingest must say about it.
  std::pair<Event, ExpectedResult> broken(Breakage how, const std::string& tenant, const std::string& caller_tenant,
                                          const std::string& other_tenant) {
    ExpectedResult r;
    r.accepted = false;
    Event e;
    switch (how) {
      case Breakage::kMissingId:
        e = valid(tenant, any_kind());
        e.clear_id();
        r = {false, false, ingest::v1::REJECT_REASON_MISSING_FIELD, "id", "missing id"};
        break;
      case Breakage::kBadId:
        e = valid(tenant, any_kind());
        e.set_id("event-" + std::to_string(next(1000000)));
        r = {false, false, ingest::v1::REJECT_REASON_INVALID_FIELD, "id", "id not a UUID"};
        break;
      case Breakage::kUnknownType:
        e = valid(tenant, Kind::kQuiz);
        e.set_type("quiz.graded");
        r = {false, false, ingest::v1::REJECT_REASON_UNKNOWN_TYPE, "type", "unknown type"};
        break;
      case Breakage::kBadTenant:
        e = valid(tenant, any_kind());
        if (caller_tenant.empty()) {
          e.set_tenant("Not A Slug");
          r = {false, false, ingest::v1::REJECT_REASON_INVALID_FIELD, "tenant", "tenant not a slug"};
        } else {
          e.set_tenant(other_tenant);
          r = {false, false, ingest::v1::REJECT_REASON_TENANT_MISMATCH, "tenant", "another tenant's event"};
        }
        break;
      case Breakage::kMissingSource:
        e = valid(tenant, any_kind());
        e.clear_source();
        r = {false, false, ingest::v1::REJECT_REASON_MISSING_FIELD, "source", "missing source"};
        break;
      case Breakage::kMissingOccurredAt:
        e = valid(tenant, any_kind());
        e.clear_occurred_at();
        r = {false, false, ingest::v1::REJECT_REASON_MISSING_FIELD, "occurred_at", "missing occurred_at"};
        break;
      case Breakage::kFutureOccurredAt:
        e = valid(tenant, any_kind());
        e.mutable_occurred_at()->set_seconds(
            std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count() + 3 * 86400);
        r = {false, false, ingest::v1::REJECT_REASON_INVALID_FIELD, "occurred_at", "occurred_at 3 days ahead"};
        break;
      case Breakage::kPayloadMismatch:
        e = valid(tenant, Kind::kQuiz);
        e.set_type("xapi.statement");
        r = {false, false, ingest::v1::REJECT_REASON_PAYLOAD_MISMATCH, "payload.quiz_submission",
             "xapi.statement type with a quiz payload"};
        break;
      case Breakage::kScoreAboveMax:
        e = valid(tenant, Kind::kQuiz);
        e.mutable_quiz_submission()->set_score(e.quiz_submission().max_score() + 1);
        r = {false, false, ingest::v1::REJECT_REASON_INVALID_FIELD, "payload.quiz_submission.score",
             "score above max_score"};
        break;
      case Breakage::kXapiWithoutLearner:
        e = valid(tenant, Kind::kXapi);
        e.mutable_subject()->clear_learner_id();
        r = {false, false, ingest::v1::REJECT_REASON_MISSING_FIELD, "subject.learner_id", "xAPI without learner"};
        break;
      case Breakage::kBadTraceId:
        e = valid(tenant, any_kind());
        e.set_trace_id("NOT-A-TRACE-ID");
        r = {false, false, ingest::v1::REJECT_REASON_INVALID_FIELD, "trace_id", "bad trace id"};
        break;
      case Breakage::kTooLarge:
        e = valid(tenant, Kind::kChatMessage);
        e.mutable_class_session()->mutable_chat_message()->set_text(std::string(70 * 1024, 'x'));
        r = {false, false, ingest::v1::REJECT_REASON_TOO_LARGE, std::nullopt, "70 KiB event"};
        break;
      case Breakage::kBadOutcome:
        e = valid(tenant, Kind::kTutoringCompleted);
        e.mutable_tutoring_session_completed()->set_outcome("won");
        r = {false, false, ingest::v1::REJECT_REASON_INVALID_FIELD, "payload.tutoring_session_completed.outcome",
             "unknown tutoring outcome"};
        break;
      case Breakage::kCount:
        throw std::logic_error("no such breakage");
    }
    return {std::move(e), std::move(r)};
  }

 private:
  // The next sequence of a tenant's session: a sequence names one event of its session (the
  // contract ingest enforces), so each new session event takes the next one.
  std::uint64_t next_sequence(const std::string& tenant, const std::string& session) {
    return ++sequences_[tenant + "/" + session];
  }

  std::mt19937_64 rng_;
  core::Timestamp now_;
  core::Timestamp first_day_;
  std::map<std::string, std::uint64_t> sequences_;
};

// An accepted event the mix may repeat later.
struct Accepted {
  Event normalized;   // tenant filled in, as ingest stores it (minus received_at / trace_id)
  std::size_t batch;
};

}  // namespace

std::string format_uuid(std::uint64_t high, std::uint64_t low) {
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0x0fff),
                static_cast<unsigned>(0x8000 | ((low >> 48) & 0x3fff)),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

void count_event(Expectations& expectations, const Event& event) {
  const std::string day = core::format_day(core::Timestamp(std::chrono::seconds(event.occurred_at().seconds())));
  ++expectations.counts[event.tenant()][{day, event.type()}];
  const std::string& learner = event.subject().learner_id();
  if (learner.empty()) return;
  auto& l = expectations.learners[{event.tenant(), learner}];
  const auto at = event.occurred_at().seconds();
  l.first_seen = l.total_events == 0 ? at : std::min(l.first_seen, at);
  l.last_seen = l.total_events == 0 ? at : std::max(l.last_seen, at);
  ++l.total_events;
  ++l.events_by_type[event.type()];
  if (event.type() == "quiz.submitted") {
    ++l.quiz_submissions;
    l.quiz_percent_sum += event.quiz_submission().score() / event.quiz_submission().max_score() * 100;
  }
  if (event.type() == "ops.session_completed" && event.tutoring_session_completed().outcome() == "completed") {
    ++l.tutoring_sessions_completed;
  }
  if (event.type() == "ops.ib_call_logged") ++l.ib_calls;
}

EventMix make_event_mix(std::size_t total_events, std::size_t batch_size, core::Timestamp now, std::uint64_t seed) {
  EventMix mix;
  mix.tenants = {"acme", "globex", "initech", "umbrella"};
  const auto first_day = *core::parse_day("2025-06-01");
  mix.first_day = core::format_day(first_day);
  mix.last_day = core::format_day(first_day + std::chrono::hours(24 * (kDays - 1)));
  Generator gen(seed, now, first_day);

  std::vector<Accepted> accepted;   // every accepted first occurrence so far
  std::size_t breakage = 0;
  const std::size_t batches = (total_events + batch_size - 1) / batch_size;

  for (std::size_t b = 0; b < batches; ++b) {
    Batch batch;
    if (b % 2 == 1) batch.caller_tenant = mix.tenants[(b / 2) % mix.tenants.size()];
    const std::size_t batch_start = accepted.size();
    // Ids this batch already carries with changed content. A later exact retry of such an id in the
    // same batch is a corner the "contract corner" test case covers on its own.
    std::set<std::string> changed_in_batch;
    const std::size_t n = std::min(batch_size, total_events - b * batch_size);

    // Earlier accepted events this batch may repeat: any for an internal caller, only the caller's
    // own for an authenticated one.
    auto pick = [&](bool same_batch) -> const Accepted* {
      const std::size_t lo = same_batch ? batch_start : 0;
      const std::size_t hi = same_batch ? accepted.size() : batch_start;
      if (hi <= lo) return nullptr;
      for (int attempt = 0; attempt < 20; ++attempt) {
        const Accepted& candidate = accepted[lo + gen.next(hi - lo)];
        if (batch.caller_tenant.empty() || candidate.normalized.tenant() == batch.caller_tenant) return &candidate;
      }
      return nullptr;
    };

    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t roll = gen.next(1000);
      const std::string tenant =
          batch.caller_tenant.empty() ? mix.tenants[gen.next(mix.tenants.size())] : batch.caller_tenant;

      if (roll < 50) {   // 5% invalid, cycling through every way of being invalid
        const auto how = static_cast<Breakage>(breakage++ % static_cast<std::size_t>(Breakage::kCount));
        const std::string other = mix.tenants[(std::find(mix.tenants.begin(), mix.tenants.end(), tenant) -
                                               mix.tenants.begin() + 1) % mix.tenants.size()];
        auto [event, expected] = gen.broken(how, tenant, batch.caller_tenant, other);
        if (!batch.caller_tenant.empty() && event.tenant() == batch.caller_tenant && gen.next(2) == 0) {
          event.clear_tenant();
        }
        ++mix.expected.rejected;
        ++mix.expected.rejected_by_reason[expected.reason];
        batch.events.push_back(std::move(event));
        batch.expected.push_back(std::move(expected));
        continue;
      }
      if (roll < 90) {   // 4% exact repeats, half in the same batch, half of earlier batches
        const bool same_batch = roll < 70;
        const Accepted* original = pick(same_batch);
        if (original != nullptr && changed_in_batch.count(original->normalized.id()) == 0) {
          Event copy = original->normalized;
          if (!batch.caller_tenant.empty() && gen.next(2) == 0) copy.clear_tenant();  // filled in again
          // A retry may carry another trace id: still the same event.
          if (gen.next(2) == 0) copy.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
          ++mix.expected.duplicates;
          batch.events.push_back(std::move(copy));
          batch.expected.push_back({true, true, ingest::v1::REJECT_REASON_UNSPECIFIED, std::nullopt,
                                    same_batch ? "repeat within the batch" : "repeat of an earlier batch"});
          continue;
        }
      }
      if (roll >= 90 && roll < 100) {   // 1% same id, different content
        const bool same_batch = roll < 95;
        if (const Accepted* original = pick(same_batch)) {
          Event changed = original->normalized;
          changed.set_source("replayed.by.mistake.example");
          changed_in_batch.insert(changed.id());
          ++mix.expected.rejected;
          ++mix.expected.rejected_by_reason[ingest::v1::REJECT_REASON_ID_REUSED];
          batch.events.push_back(std::move(changed));
          batch.expected.push_back({false, false, ingest::v1::REJECT_REASON_ID_REUSED, "id",
                                    same_batch ? "id reused within the batch" : "id reused from an earlier batch"});
          continue;
        }
      }
      // A new, valid event.
      Event event = gen.valid(tenant, gen.any_kind());
      accepted.push_back({event, b});
      count_event(mix.expected, event);
      ++mix.expected.accepted_new;
      if (!batch.caller_tenant.empty() && gen.next(10) < 7) event.clear_tenant();
      batch.events.push_back(std::move(event));
      batch.expected.push_back({true, false, ingest::v1::REJECT_REASON_UNSPECIFIED, std::nullopt, "new event"});
    }
    mix.batches.push_back(std::move(batch));
  }
  return mix;
}

}  // namespace edfleet::e2e
