// Shared fixtures for ingest's domain tests: a valid sample event of every type, and fakes of the
// ports that record what they were asked and fail on demand.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/event.h"
#include "domain/event_types.h"
#include "edfleet/core/time_format.h"
#include "ports/accepted_event_ledger.h"
#include "ports/event_publisher.h"

namespace edfleet::ingest::test {

inline core::Timestamp test_now() { return *core::parse_rfc3339("2026-11-25T09:30:00Z"); }

inline std::string uuid(int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "00000000-0000-4000-8000-%012d", n);
  return buffer;
}

inline PayloadField field(std::string path, FieldValue value) { return {std::move(path), std::move(value)}; }

// The payload fields of a valid event of `type`.
// `sequence` is the live-class sequence of session.* payloads.
inline Payload sample_payload(const std::string& type, std::uint64_t sequence = 3) {
  const ProtoTime later = from_timestamp(test_now() + std::chrono::hours(2));
  if (type == "xapi.statement") {
    return {"xapi_statement",
            {field("xapi_statement",  MessagePresent{}),
             field("xapi_statement.statement_json",
                   std::string(R"({"actor":{"mbox":"mailto:ada@example.com"},)"
                               R"("verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},)"
                               R"("object":{"id":"https://lms.example/course/1"}})")),
             field("xapi_statement.version", std::string("1.0.3"))},
            ""};
  }
  if (type == "quiz.submitted") {
    return {"quiz_submission",
            {field("quiz_submission", MessagePresent{}), field("quiz_submission.quiz_id", std::string("quiz-1")),
             field("quiz_submission.attempt_id", std::string("attempt-1")), field("quiz_submission.score", 7.5),
             field("quiz_submission.max_score", 10.0), field("quiz_submission.passed", true),
             field("quiz_submission.questions[0]", MessagePresent{}),
             field("quiz_submission.questions[0].question_id", std::string("q1")),
             field("quiz_submission.questions[0].correct", true),
             field("quiz_submission.questions[0].points", 1.0)},
            ""};
  }
  if (type.starts_with("session.")) {
    const std::string detail = type.substr(8);
    const std::string base = "class_session." + detail;
    Payload p{"class_session",
              {field("class_session", MessagePresent{}), field("class_session.sequence", sequence),
               field(base, MessagePresent{})},
              ""};
    auto add = [&](const std::string& name, FieldValue value) { p.fields.push_back(field(base + "." + name, value)); };
    if (detail == "scheduled") {
      add("starts_at", later);
      add("planned_minutes", std::uint64_t{45});
      add("title", std::string("Fractions"));
    } else if (detail == "started") {
      add("host_id", std::string("tutor-9"));
    } else if (detail == "participant_joined") {
      add("participant_id", std::string("learner-1"));
      add("role", std::string("learner"));
      add("device", std::string("vr"));
    } else if (detail == "participant_left") {
      add("participant_id", std::string("learner-1"));
      add("reason", std::string("disconnected"));
    } else if (detail == "scene_changed") {
      add("scene_id", std::string("scene-2"));
    } else if (detail == "slide_changed") {
      add("deck_id", std::string("deck-1"));
      add("slide_index", std::uint64_t{4});
    } else if (detail == "chat_message") {
      add("message_id", std::string("m1"));
      add("author_id", std::string("learner-1"));
      add("text", std::string("hello"));
    } else if (detail == "question_asked") {
      add("question_id", std::string("qa1"));
      add("author_id", std::string("learner-1"));
      add("text", std::string("why?"));
    } else if (detail == "question_answered") {
      add("question_id", std::string("qa1"));
      add("answerer_id", std::string("tutor-9"));
      add("text", std::string("because"));
    } else if (detail == "poll_created") {
      add("poll_id", std::string("p1"));
      add("question", std::string("Ready?"));
      p.fields.push_back(field(base + ".options[0]", std::string("yes")));
      p.fields.push_back(field(base + ".options[1]", std::string("no")));
    } else if (detail == "poll_voted") {
      add("poll_id", std::string("p1"));
      add("voter_id", std::string("learner-1"));
      add("option_index", std::uint64_t{1});
    } else if (detail == "poll_closed") {
      add("poll_id", std::string("p1"));
    } else if (detail == "transcript_segment") {
      add("speaker_id", std::string("tutor-9"));
      add("start_ms", std::uint64_t{1000});
      add("end_ms", std::uint64_t{4000});
      add("text", std::string("Let's begin."));
    } else if (detail == "ended") {
      add("reason", std::string("completed"));
      add("duration_seconds", std::uint64_t{2700});
    }
    return p;
  }
  if (type == "ops.session_started") {
    return {"tutoring_session_started",
            {field("tutoring_session_started", MessagePresent{}),
             field("tutoring_session_started.subject_area", std::string("algebra")),
             field("tutoring_session_started.first_session", true),
             field("tutoring_session_started.booked_for", later)},
            ""};
  }
  if (type == "ops.session_completed") {
    return {"tutoring_session_completed",
            {field("tutoring_session_completed", MessagePresent{}),
             field("tutoring_session_completed.subject_area", std::string("algebra")),
             field("tutoring_session_completed.outcome", std::string("completed")),
             field("tutoring_session_completed.duration_minutes", std::uint64_t{50}),
             field("tutoring_session_completed.rating", std::uint64_t{5})},
            ""};
  }
  if (type == "ops.ib_call_logged") {
    return {"ib_call_logged",
            {field("ib_call_logged", MessagePresent{}), field("ib_call_logged.call_id", std::string("call-1")),
             field("ib_call_logged.reason", std::string("billing")),
             field("ib_call_logged.duration_seconds", std::uint64_t{300}),
             field("ib_call_logged.sentiment", std::string("negative"))},
            ""};
  }
  if (type == "ops.tutor_availability_updated") {
    return {"tutor_availability_updated",
            {field("tutor_availability_updated", MessagePresent{}),
             field("tutor_availability_updated.subject_area", std::string("algebra")),
             field("tutor_availability_updated.weekday", std::uint64_t{6}),
             field("tutor_availability_updated.hour", std::uint64_t{23}),
             field("tutor_availability_updated.available_slots", std::uint64_t{3})},
            ""};
  }
  if (type == "ops.customer_health_update") {
    return {"customer_health_update",
            {field("customer_health_update", MessagePresent{}),
             field("customer_health_update.health_score", 100.0),
             field("customer_health_update.session_velocity", 1.5),
             field("customer_health_update.ib_calls_30d", std::uint64_t{2}),
             field("customer_health_update.plan", std::string("pro"))},
            ""};
  }
  if (type == "ops.supply_demand_update") {
    return {"supply_demand_update",
            {field("supply_demand_update", MessagePresent{}),
             field("supply_demand_update.subject_area", std::string("algebra")),
             field("supply_demand_update.hour", std::uint64_t{0}),
             field("supply_demand_update.open_requests", std::uint64_t{12}),
             field("supply_demand_update.available_tutors", std::uint64_t{4})},
            ""};
  }
  throw std::invalid_argument("no sample for " + type);
}

// A valid event of `type` with id uuid(n), tenant "acme", and every subject id set.
inline EventEnvelope sample_event(const std::string& type = "quiz.submitted", int n = 1) {
  EventEnvelope e;
  e.id = uuid(n);
  e.tenant = "acme";
  e.type = type;
  e.source = "lms.acme.example";
  e.subject = {"learner-1", "tutor-9", "session-5", "course-2"};
  e.occurred_at = from_timestamp(test_now() - std::chrono::minutes(5));
  // Each sample event of a session holds its own sequence slot (n), as a live class's events do.
  e.payload = sample_payload(type, static_cast<std::uint64_t>(n < 1 ? 1 : n));
  e.payload.encoded = "opaque";
  e.serialized_size = 300;
  return e;
}

// Replaces (or adds) the payload field at `path`.
inline void set_field(EventEnvelope& e, const std::string& path, FieldValue value) {
  for (auto& f : e.payload.fields) {
    if (f.path == path) {
      f.value = std::move(value);
      return;
    }
  }
  e.payload.fields.push_back({path, std::move(value)});
}

inline void remove_field(EventEnvelope& e, const std::string& path) {
  std::erase_if(e.payload.fields, [&](const PayloadField& f) { return f.path == path; });
}

// Records published events; fails the ids in `fail_ids`, throws when `throw_all`, and can hold a
// publish until released (to test concurrent batches).
class FakePublisher final : public EventPublisher {
 public:
  std::vector<PublishAck> publish(std::span<const EventEnvelope> events) override {
    std::unique_lock lock(mutex_);
    ++calls_;
    entered_.notify_all();
    released_.wait(lock, [&] { return !hold_; });
    if (throw_all) throw std::runtime_error("broker down");
    std::vector<PublishAck> acks;
    for (const auto& e : events) {
      if (fail_ids.count(e.id) > 0) {
        acks.push_back({false, "timed out"});
      } else {
        published.push_back(e);
        acks.push_back({true, ""});
      }
    }
    return acks;
  }

  void hold() {
    std::lock_guard lock(mutex_);
    hold_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      hold_ = false;
    }
    released_.notify_all();
  }
  // Waits until publish() has been entered `n` times in total.
  bool wait_for_calls(int n) {
    std::unique_lock lock(mutex_);
    return entered_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_ >= n; });
  }

  std::set<std::string> fail_ids;
  bool throw_all = false;
  std::vector<EventEnvelope> published;

 private:
  std::mutex mutex_;
  std::condition_variable entered_;
  std::condition_variable released_;
  bool hold_ = false;
  int calls_ = 0;
};

// The ledger's claim semantics in memory: `rows` are accepted ids, `pending` claimed ones.
class FakeLedger final : public AcceptedEventLedger {
 public:
  std::vector<LedgerClaim> claim(std::span<const AcceptedEvent> wanted) override {
    std::lock_guard lock(mutex_);
    ++claim_calls;
    if (fail_claim) throw std::runtime_error("database down");
    std::vector<LedgerClaim> claims;
    for (const auto& w : wanted) {
      if (const auto it = rows.find(w.key); it != rows.end()) {
        claims.push_back({LedgerClaim::State::kAccepted, it->second});
      } else if (const auto p = pending.find(w.key); p != pending.end()) {
        claims.push_back({LedgerClaim::State::kPending, p->second});
      } else {
        pending.emplace(w.key, w.content_hash);
        claims.push_back({LedgerClaim::State::kClaimed, w.content_hash});
      }
    }
    return claims;
  }
  void record(std::span<const AcceptedEvent> events) override {
    std::lock_guard lock(mutex_);
    ++record_calls;
    if (fail_record) throw std::runtime_error("database down");
    for (const auto& e : events) {
      const auto p = pending.find(e.key);
      if (p != pending.end() && p->second != e.content_hash) continue;
      if (p != pending.end()) pending.erase(p);
      rows.emplace(e.key, e.content_hash);
    }
  }
  void release(std::span<const AcceptedEvent> claims) override {
    std::lock_guard lock(mutex_);
    ++release_calls;
    if (fail_release) throw std::runtime_error("database down");
    for (const auto& c : claims) {
      if (const auto p = pending.find(c.key); p != pending.end() && p->second == c.content_hash) pending.erase(p);
    }
  }

  std::map<EventKey, std::string> rows;
  std::map<EventKey, std::string> pending;
  bool fail_claim = false;
  bool fail_record = false;
  bool fail_release = false;
  int claim_calls = 0;
  int record_calls = 0;
  int release_calls = 0;

 private:
  std::mutex mutex_;
};

}  // namespace edfleet::ingest::test
