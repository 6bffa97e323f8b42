// One stream's event generator: a discrete-event simulation of a slice of a tutoring marketplace with
// live classes, producing SimEvents in event-time order, forever.
//
// Everything it does is decided by StreamSpec: the same spec gives the same events, ids included.
// Internally one queue holds both "things that will happen" (a learner considers booking, a booked
// session is due, a class starts...) and events already decided; next() pops the earliest, and a
// happening only ever adds items at or after its own time, so events come out in time order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "domain/random.h"
#include "domain/sim_event.h"
#include "domain/world.h"
#include "edfleet/core/clock.h"

namespace edfleet::sim {

struct StreamSpec {
  std::uint64_t seed = 1;        // the run's seed; the stream derives its own from it
  int stream = 0;                // index, part of every id
  std::string tenant = "acme";
  core::Timestamp start;         // the simulated timeline begins here
  Cohort cohort;
};

class StreamGenerator {
 public:
  explicit StreamGenerator(StreamSpec spec);

  // The next event; occurred_at never decreases from one call to the next.
  SimEvent next();

  // The hidden state (churn times, abilities...), for tests.
  const StreamWorld& world() const { return world_; }

 private:
  enum class Kind {
    kBookingCandidate,   // a learner may book a session (thinned Poisson process)
    kSessionDue,         // a booked session's start time
    kSessionCancelled,   // the learner cancels ahead of time
    kIbCandidate,        // a learner may call support
    kHealthCheck,        // weekly customer-health snapshot
    kChurn,              // an at-risk learner leaves
    kLearnerJoins,       // a new learner replaces a churned one
    kTutorReview,        // a tutor revises their availability
    kMarketSnapshot,     // supply and demand for one subject at this hour
    kClassAnnounced,     // a live class is scheduled
    kClassStarts,
  };
  struct Happening {
    Kind kind;
    int index = 0;       // learner, tutor, booking or class
    int generation = 0;  // for learner timers that a churn-time change invalidates
  };
  struct Item {
    core::Timestamp at;
    std::uint64_t order;   // insertion order breaks ties deterministically
    std::variant<Happening, SimEvent> what;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const { return a.at != b.at ? a.at > b.at : a.order > b.order; }
  };
  struct Booking {
    int learner = 0, tutor = 0, subject = 0;
    std::string session_id;
    core::Timestamp booked_at, booked_for;
    std::int64_t hour_key = 0;
  };

  void schedule(core::Timestamp at, Happening happening);
  // Queues an event; `id` empty = a fresh one (xAPI statements need theirs before the payload is made).
  void emit(core::Timestamp at, SimSubject subject, std::string_view system, SimPayload payload, std::string id = {});
  void handle(core::Timestamp now, const Happening& happening);

  void build_world();
  int make_learner(core::Timestamp now, bool is_new);    // returns its index; no timers yet
  void start_learner_timers(int learner, core::Timestamp now, bool is_new);
  void mark_at_risk(int learner, core::Timestamp now, core::Timestamp churn_at);

  // Hidden-state curves.
  double velocity_factor(const Learner& learner, core::Timestamp t) const;   // 1 healthy .. 0 at churn
  double ib_rate_per_day(const Learner& learner, core::Timestamp t) const;
  double ib_rate_bound(const Learner& learner) const;

  void on_booking_candidate(core::Timestamp now, int learner);
  bool book_session(core::Timestamp now, int learner, bool count_demand);
  void on_session_due(core::Timestamp now, int booking);
  void on_session_cancelled(core::Timestamp now, int booking);
  void run_session(core::Timestamp now, Booking& booking);
  void on_ib_candidate(core::Timestamp now, int learner, int generation);
  void on_health_check(core::Timestamp now, int learner);
  void on_churn(core::Timestamp now, int learner, int generation);
  void on_learner_joins(core::Timestamp now);
  void on_tutor_review(core::Timestamp now, int tutor);
  void on_market_snapshot(core::Timestamp now);
  void on_class_announced(core::Timestamp now, int live_class);
  void on_class_starts(core::Timestamp now, int live_class);

  void log_ib_call(core::Timestamp at, int learner, bool churn_cluster, bool cancelling);
  CustomerHealthUpdate health_of(Learner& learner, core::Timestamp now);   // trims its history
  bool tutor_free(const Tutor& tutor, int subject, core::Timestamp slot) const;
  void maybe_put_at_risk(int learner, core::Timestamp now);   // after a bad first experience
  std::string person_id(const char* kind, std::size_t n) const;

  StreamSpec spec_;
  Rng rng_;       // behaviour
  Rng ids_;       // event ids (a separate sequence, so behaviour does not depend on how ids are made)
  StreamWorld world_;
  std::vector<Item> queue_;           // a min-heap on (at, order)
  std::uint64_t order_ = 0;
  std::vector<Booking> bookings_;
  std::uint64_t serial_ = 0;          // for call, message and attempt ids
  std::chrono::microseconds market_interval_{kHour};
  std::map<std::pair<int, std::int64_t>, int> requested_;     // (subject, hour number) -> sessions wanted then
  std::map<std::tuple<int, int, int>, int> unmet_demand_;     // (subject, weekday, hour) -> requests
};

}  // namespace edfleet::sim
