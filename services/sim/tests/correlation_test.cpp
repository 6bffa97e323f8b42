// The correlations the simulated world promises, checked on the events alone (what a consumer of the
// topic would see): session lifecycles, live-class sequences, churners' support calls and declining
// session velocity, first-session outcomes, and supply and demand by subject and hour.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <set>

#include "domain/catalogue.h"
#include "test_support.h"

using namespace edfleet;
using namespace edfleet::sim;
using namespace edfleet::sim::test;

namespace {

const core::Timestamp kSeasonEnd = test_start() + 120 * kDay;

// Four simulated months of a large slice of the market: enough churners to see their pattern. The
// generator is kept for its hidden state.
struct Season {
  StreamGenerator generator{spec(2024, 0, {240, 35, 20})};
  std::vector<SimEvent> events;
  Season() {
    for (SimEvent e = generator.next(); e.occurred_at < kSeasonEnd; e = generator.next()) events.push_back(std::move(e));
  }
};

const Season& the_season() {
  static const Season season;
  return season;
}

const std::vector<SimEvent>& season() { return the_season().events; }

}  // namespace

TEST_CASE("tutoring sessions start once, after booking, and complete only after they start", "[sim][correlation]") {
  struct Session {
    std::optional<core::Timestamp> started, completed;
    std::string outcome;
    int starts = 0, completions = 0;
  };
  std::map<std::string, Session> sessions;
  for (const auto& e : season()) {
    if (const auto* s = payload_as<TutoringSessionStarted>(e)) {
      auto& session = sessions[e.subject.session_id];
      ++session.starts;
      session.started = e.occurred_at;
      CHECK(e.occurred_at >= s->booked_for);
      CHECK(e.occurred_at <= s->booked_for + std::chrono::minutes(5));
      CHECK_FALSE(e.subject.learner_id.empty());
      CHECK_FALSE(e.subject.tutor_id.empty());
    } else if (const auto* c = payload_as<TutoringSessionCompleted>(e)) {
      auto& session = sessions[e.subject.session_id];
      ++session.completions;
      session.completed = e.occurred_at;
      session.outcome = c->outcome;
      if (c->outcome == "completed" || c->outcome == "failed") {
        REQUIRE(session.started.has_value());   // started earlier in the stream
        CHECK(*session.started <= e.occurred_at);
      } else {
        CHECK_FALSE(session.started.has_value());   // cancelled and no-shows never start
        CHECK(c->duration_minutes == 0);
      }
    }
  }
  std::map<std::string, int> outcomes;
  for (const auto& [id, s] : sessions) {
    INFO(id);
    CHECK(s.starts <= 1);
    CHECK(s.completions <= 1);
    if (s.completions == 1) ++outcomes[s.outcome];
  }
  for (const char* outcome : {"completed", "failed", "cancelled", "no_show_learner", "no_show_tutor"}) {
    INFO(outcome);
    CHECK(outcomes[outcome] > 0);
  }
  CHECK(outcomes["completed"] > 10 * outcomes["failed"]);
}

TEST_CASE("live classes: scheduled -> started -> joins, activity -> leaves -> ended, sequence +1 each", "[sim][correlation]") {
  struct Live {
    std::uint64_t last_sequence = 0;
    bool started = false, ended = false;
    std::set<std::string> present;
    std::set<std::string> questions, open_polls, closed_polls;
  };
  std::map<std::string, Live> classes;
  int ended = 0;
  for (const auto& e : season()) {
    const auto* c = payload_as<ClassSessionEvent>(e);
    if (c == nullptr) continue;
    INFO(e.subject.session_id << " #" << c->sequence << " " << event_type(e));
    CHECK(e.subject.learner_id.empty());   // keyed by session, so one session stays in one partition
    Live& live = classes[e.subject.session_id];
    REQUIRE(c->sequence == live.last_sequence + 1);
    live.last_sequence = c->sequence;
    REQUIRE_FALSE(live.ended);
    if (c->sequence == 1) REQUIRE(detail_as<SessionScheduled>(e) != nullptr);
    if (c->sequence == 2) REQUIRE(detail_as<SessionStarted>(e) != nullptr);
    if (const auto* s = detail_as<SessionScheduled>(e)) CHECK(s->starts_at >= e.occurred_at);
    if (detail_as<SessionStarted>(e)) live.started = true;
    if (c->sequence > 2) REQUIRE(live.started);
    if (const auto* j = detail_as<ParticipantJoined>(e)) CHECK(live.present.insert(j->participant_id).second);
    if (const auto* l = detail_as<ParticipantLeft>(e)) CHECK(live.present.erase(l->participant_id) == 1);
    if (const auto* m = detail_as<ChatMessage>(e)) CHECK(live.present.count(m->author_id) == 1);
    if (const auto* q = detail_as<QuestionAsked>(e)) {
      CHECK(live.present.count(q->author_id) == 1);
      live.questions.insert(q->question_id);
    }
    if (const auto* a = detail_as<QuestionAnswered>(e)) CHECK(live.questions.count(a->question_id) == 1);
    if (const auto* p = detail_as<PollCreated>(e)) live.open_polls.insert(p->poll_id);
    if (const auto* v = detail_as<PollVoted>(e)) {
      CHECK(live.open_polls.count(v->poll_id) == 1);
      CHECK(live.present.count(v->voter_id) == 1);
    }
    if (const auto* p = detail_as<PollClosed>(e)) CHECK(live.open_polls.erase(p->poll_id) == 1);
    if (const auto* t = detail_as<TranscriptSegment>(e)) CHECK(t->end_ms >= t->start_ms);
    if (detail_as<SessionEnded>(e)) {
      live.ended = true;
      CHECK(live.present.empty());   // everyone has left
      CHECK(live.open_polls.empty());
      ++ended;
    }
  }
  CHECK(ended > 100);
}

TEST_CASE("churners call support more and more, and book less and less, before they leave", "[sim][correlation][churn]") {
  std::map<std::string, core::Timestamp> churned_at;   // the "cancelled" health update
  std::map<std::string, std::vector<core::Timestamp>> calls, sessions;
  std::set<std::string> learners;
  for (const auto& e : season()) {
    if (!e.subject.learner_id.empty()) learners.insert(e.subject.learner_id);
    if (const auto* h = payload_as<CustomerHealthUpdate>(e); h != nullptr && h->plan == "cancelled") {
      churned_at[e.subject.learner_id] = e.occurred_at - std::chrono::minutes(1);
      CHECK(h->health_score <= 15);
    }
    if (const auto* c = payload_as<IbCallLogged>(e); c != nullptr && c->reason != "cancel_request") {
      calls[e.subject.learner_id].push_back(e.occurred_at);
    }
    if (payload_as<TutoringSessionStarted>(e)) sessions[e.subject.learner_id].push_back(e.occurred_at);
  }
  REQUIRE(churned_at.size() >= 20);
  // What is observed is the hidden churn risk playing out.
  for (const auto& learner : the_season().generator.world().learners) {
    INFO(learner.id);
    if (learner.at_risk && learner.churn_at < kSeasonEnd - std::chrono::minutes(1)) {
      REQUIRE(churned_at.count(learner.id) == 1);
      CHECK(churned_at.at(learner.id) == learner.churn_at);
    } else {
      CHECK(churned_at.count(learner.id) == 0);
    }
  }

  // Support calls per learner-day: in the 14 days before churn vs. learners who stay.
  double cluster_calls = 0, cluster_days = 0, other_calls = 0, other_days = 0;
  // Sessions in the three weeks before churn vs. the three weeks before that.
  double early_sessions = 0, late_sessions = 0;
  for (const auto& learner : learners) {
    const auto churn = churned_at.find(learner);
    if (churn == churned_at.end()) {
      other_calls += static_cast<double>(calls[learner].size());
      other_days += 120;
      continue;
    }
    const auto t = churn->second;
    if (t - 14 * kDay >= test_start()) {
      cluster_days += 14;
      for (auto c : calls[learner]) cluster_calls += (c >= t - 14 * kDay && c < t) ? 1 : 0;
    }
    if (t - 42 * kDay >= test_start()) {
      for (auto s : sessions[learner]) {
        early_sessions += (s >= t - 42 * kDay && s < t - 21 * kDay) ? 1 : 0;
        late_sessions += (s >= t - 21 * kDay && s < t) ? 1 : 0;
      }
    }
    // Nothing after churn.
    for (auto s : sessions[learner]) CHECK(s < t + std::chrono::minutes(5));
  }
  const double cluster_rate = cluster_calls / cluster_days;
  const double base_rate = other_calls / other_days;
  INFO("calls/day before churn " << cluster_rate << ", otherwise " << base_rate);
  CHECK(cluster_rate > 4 * base_rate);
  INFO("sessions 6-3 weeks before churn " << early_sessions << ", last 3 weeks " << late_sessions);
  CHECK(early_sessions > 0);
  CHECK(late_sessions < 0.75 * early_sessions);
}

TEST_CASE("first sessions succeed or fail, and fail more often than later ones", "[sim][correlation]") {
  double first = 0, first_failed = 0, later = 0, later_failed = 0;
  for (const auto& e : season()) {
    const auto* c = payload_as<TutoringSessionCompleted>(e);
    if (c == nullptr || (c->outcome != "completed" && c->outcome != "failed")) continue;
    const bool failed = c->outcome == "failed";
    if (c->first_session) {
      ++first;
      first_failed += failed ? 1 : 0;
    } else {
      ++later;
      later_failed += failed ? 1 : 0;
    }
  }
  REQUIRE(first >= 20);
  CHECK(first_failed > 0);
  CHECK(first_failed < first);
  CHECK(first_failed / first > 2 * later_failed / later);
}

TEST_CASE("demand follows each subject's hours; tutors change availability by subject and hour", "[sim][correlation][market]") {
  std::map<std::string, std::map<std::uint32_t, double>> demand;   // subject -> hour -> open requests
  std::set<std::pair<std::string, std::uint32_t>> availability;   // (subject, hour) changed
  for (const auto& e : season()) {
    if (const auto* m = payload_as<SupplyDemandUpdate>(e)) {
      CHECK(m->hour < 24);
      demand[m->subject_area][m->hour] += m->open_requests;
    }
    if (const auto* a = payload_as<TutorAvailabilityUpdated>(e)) {
      CHECK(a->weekday < 7);
      CHECK(a->hour < 24);
      CHECK(a->available_slots <= 2);
      availability.insert({a->subject_area, a->hour});
    }
  }
  // Each snapshot reports the sessions wanted for its hour: after-school subjects are wanted in the
  // afternoon and evening, hardly at night.
  double afternoon = 0, night = 0;
  for (const auto& info : subjects()) {
    if (info.pattern != DemandPattern::kAfterSchool) continue;
    for (const auto& [hour, n] : demand[std::string(info.id)]) (hour >= 14 && hour < 23 ? afternoon : night) += n;
  }
  INFO("after-school demand reported 14-23h: " << afternoon << ", other hours: " << night);
  CHECK(afternoon > 2 * night);
  CHECK(availability.size() > 50);
}
