// The simulated world of one stream: a slice of one tenant's tutoring marketplace with its own
// learners, tutors and live classes. Streams never share people, so each stream is an independent,
// deterministic simulation (its own seed) and streams can be generated on any thread in any order.
//
// What is hidden (never sent, but it drives what is sent): each learner's churn risk and churn time,
// ability, preferred hours and healthy session velocity; each tutor's quality and no-show rate.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "edfleet/core/clock.h"

namespace edfleet::sim {

// How many people a stream simulates.
struct Cohort {
  int learners = 40;
  int tutors = 6;
  int classes = 3;       // weekly live classes
};

// The smallest cohort whose events average at least `events_per_day` (3..2000 learners), and the
// density the model gives a cohort (events per simulated day, long-run average).
Cohort size_cohort(double events_per_day);
double expected_events_per_day(const Cohort& cohort);

// How often a stream reports supply and demand (one subject at a time): hourly for 40 learners or
// more, less often for smaller slices so that the volume stays in proportion to the people.
std::chrono::hours market_interval(int learners);

struct Learner {
  std::string id;
  std::string plan;                  // basic | plus | premium | cancelled (after churn)
  std::vector<int> subjects;         // indices into subjects()
  int window_start_hour = 16;        // preferred hours [start, start + length)
  int window_hours = 4;
  double base_velocity = 1.5;        // sessions per week while healthy
  double ability = 0.7;              // chance to answer a quiz question right
  bool active = true;                // false after churn
  core::Timestamp joined_at;

  // Hidden churn risk: at-risk learners book less and less in the 21 days before churn_at, and call
  // support (IB calls) more and more in the 14 days before it.
  bool at_risk = false;
  core::Timestamp churn_at;
  int risk_generation = 0;           // bumped when the churn time changes (stale timers are ignored)

  bool first_session_pending = false;  // has never had a tutoring session start
  bool first_session_failed = false;
  std::deque<core::Timestamp> completed_sessions;   // trailing, for velocity
  std::deque<core::Timestamp> ib_calls;             // trailing, for ib_calls_30d
};

struct Tutor {
  std::string id;
  std::vector<int> subjects;
  double quality = 0.7;              // drives ratings and first-session success
  double no_show = 0.03;
  // Bookable seats per (index into `subjects`, weekday 0 = Monday, hour), in UTC (the tenant's zone).
  std::vector<std::array<std::array<std::uint8_t, 24>, 7>> availability;
  std::map<std::int64_t, int> booked;   // hour number since the epoch -> sessions booked then
};

struct LiveClass {
  int subject = 0;
  std::string course_id;
  int host = 0;                      // tutor index
  int weekday = 0;
  int hour = 17;
  std::uint32_t planned_minutes = 45;
  std::vector<int> roster;           // learner indices
  int occurrences = 0;
  core::Timestamp next_start;        // of the next occurrence to announce or run
  std::string current_session;       // session id of the occurrence announced last
};

// The people of one stream, built from the stream's seed.
struct StreamWorld {
  std::string tenant;
  int stream = 0;
  std::vector<int> subject_mix;      // the subjects this slice of the market deals in
  std::vector<Learner> learners;
  std::vector<Tutor> tutors;
  std::vector<LiveClass> classes;
};

// "course-<subject>-101": one course per subject and tenant.
std::string course_id(int subject);

// Calendar helpers on UTC timestamps.
int weekday_of(core::Timestamp t);          // 0 = Monday
int hour_of(core::Timestamp t);             // 0..23
std::int64_t hour_number(core::Timestamp t);   // whole hours since the epoch
core::Timestamp floor_hour(core::Timestamp t);

constexpr std::chrono::microseconds kHour = std::chrono::hours(1);
constexpr std::chrono::microseconds kDay = std::chrono::hours(24);
constexpr std::chrono::microseconds kWeek = std::chrono::hours(24 * 7);

}  // namespace edfleet::sim
