#include "domain/world.h"

#include <algorithm>
#include <cmath>

#include "domain/catalogue.h"

namespace edfleet::sim {

namespace {

// Long-run events per simulated day, measured on the model (the "cohort density" unit test keeps
// them honest): per learner (tutoring sessions with their xAPI statements and quizzes, health
// updates, IB calls; a very small market books less, for want of tutors at the wanted hours), per
// tutor (availability changes) and per weekly live class (about 5 events plus 0.6 per learner on
// the roster, per day).
constexpr double kPerLearner = 1.25;
constexpr double kPerTutor = 1.35;
constexpr double kPerClassBase = 5.4;
constexpr double kPerClassLearner = 0.6;

Cohort cohort_of(int learners) {
  return {learners, std::max(1, (learners + 6) / 7), std::max(1, static_cast<int>(std::lround(learners / 12.0)))};
}

// Learners on a class roster: those who study its subject (about 1.4 subjects each, among the
// slice's subject mix, and classes go where interest is), at least 3, at most 12.
double roster_size(int learners) {
  const double mix = std::clamp(2 + learners / 6, 2, 12);
  return std::clamp(1.4 * learners / mix * 1.3, std::min(3.0, static_cast<double>(learners)), 12.0);
}

}  // namespace

std::chrono::hours market_interval(int learners) {
  return std::chrono::hours(std::clamp(std::lround(40.0 / std::max(1, learners)), 1L, 12L));
}

Cohort size_cohort(double events_per_day) {
  // The smallest cohort (about 7 learners per tutor, 12 per class) that is busy enough.
  for (int learners = 3; learners < 2000; ++learners) {
    if (expected_events_per_day(cohort_of(learners)) >= events_per_day) return cohort_of(learners);
  }
  return cohort_of(2000);
}

double expected_events_per_day(const Cohort& cohort) {
  const double booking = std::min(1.0, 0.35 + cohort.learners / 30.0);
  return kPerLearner * booking * cohort.learners + kPerTutor * cohort.tutors +
         (kPerClassBase + kPerClassLearner * roster_size(cohort.learners)) * cohort.classes +
         24.0 / static_cast<double>(market_interval(cohort.learners).count());
}

std::string course_id(int subject) {
  return "course-" + std::string(subjects().at(static_cast<std::size_t>(subject)).id) + "-101";
}

std::int64_t hour_number(core::Timestamp t) {
  const auto micros = t.time_since_epoch().count();
  const std::int64_t per_hour = 3600LL * 1000000;
  return micros >= 0 ? micros / per_hour : -((-micros + per_hour - 1) / per_hour);
}

int hour_of(core::Timestamp t) { return static_cast<int>(((hour_number(t) % 24) + 24) % 24); }

int weekday_of(core::Timestamp t) {
  const std::int64_t hours = hour_number(t);
  const std::int64_t days = hours >= 0 ? hours / 24 : -((-hours + 23) / 24);
  return static_cast<int>(((days + 3) % 7 + 7) % 7);   // 1970-01-01 was a Thursday
}

core::Timestamp floor_hour(core::Timestamp t) { return core::Timestamp(hour_number(t) * kHour); }

}  // namespace edfleet::sim
