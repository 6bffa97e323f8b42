#include "domain/stream_generator.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "domain/catalogue.h"
#include "domain/live_class.h"
#include "domain/xapi.h"

namespace edfleet::sim {

namespace {

using std::chrono::microseconds;

microseconds seconds(double s) { return microseconds(std::llround(s * 1e6)); }
microseconds days(double d) { return seconds(d * 86400.0); }
double in_days(microseconds d) { return static_cast<double>(d.count()) / 86400e6; }

constexpr double kBaseIbCallsPerDay = 1.0 / 40;
constexpr double kClusterIbCallsPerDay = 0.38;      // peak extra rate just before churn
constexpr double kIbClusterDays = 14;
constexpr double kVelocityDeclineDays = 21;

const SubjectInfo& subject_info(int subject) { return subjects().at(static_cast<std::size_t>(subject)); }

std::string course_title(int subject) { return std::string(subject_info(subject).title) + " 101"; }

bool in_window(const Learner& learner, int hour) {
  return (hour - learner.window_start_hour + 24) % 24 < learner.window_hours;
}

// Preferred starting hour for a subject's learners, tutors and classes.
int peak_hour(Rng& rng, DemandPattern pattern) {
  switch (pattern) {
    case DemandPattern::kAfterSchool: return static_cast<int>(rng.uniform_int(15, 18));
    case DemandPattern::kEvening: return static_cast<int>(rng.uniform_int(17, 20));
    case DemandPattern::kWeekendPrep: return static_cast<int>(rng.uniform_int(9, 12));
  }
  return 16;
}

std::size_t trailing_count(std::deque<core::Timestamp>& times, core::Timestamp now, microseconds window) {
  std::erase_if(times, [&](core::Timestamp t) { return t <= now - days(35); });   // keep memory bounded
  return static_cast<std::size_t>(
      std::count_if(times.begin(), times.end(), [&](core::Timestamp t) { return t > now - window && t <= now; }));
}

}  // namespace

StreamGenerator::StreamGenerator(StreamSpec spec)
    : spec_(std::move(spec)),
      rng_(derive_seed(spec_.seed, 1, static_cast<std::uint64_t>(spec_.stream))),
      ids_(derive_seed(spec_.seed, 2 + (static_cast<std::uint64_t>(spec_.stream) << 8),
                       static_cast<std::uint64_t>(spec_.start.time_since_epoch().count()))) {
  build_world();
}

SimEvent StreamGenerator::next() {
  while (true) {
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    Item item = std::move(queue_.back());
    queue_.pop_back();
    if (auto* event = std::get_if<SimEvent>(&item.what)) return std::move(*event);
    handle(item.at, std::get<Happening>(item.what));
  }
}

void StreamGenerator::schedule(core::Timestamp at, Happening happening) {
  queue_.push_back({at, order_++, happening});
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

void StreamGenerator::emit(core::Timestamp at, SimSubject subject, std::string_view system, SimPayload payload,
                           std::string id) {
  SimEvent event{id.empty() ? ids_.uuid() : std::move(id),
                 spec_.tenant,
                 std::string(system) + "." + spec_.tenant + ".example",
                 std::move(subject),
                 at,
                 std::move(payload)};
  queue_.push_back({at, order_++, std::move(event)});
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

std::string StreamGenerator::person_id(const char* kind, std::size_t n) const {
  return std::string(kind) + "-s" + std::to_string(spec_.stream) + "-" + std::to_string(n);
}

// --- the world --------------------------------------------------------------------------------

void StreamGenerator::build_world() {
  const core::Timestamp start = spec_.start;
  const auto& catalogue = subjects();
  world_.tenant = spec_.tenant;
  world_.stream = spec_.stream;

  const int learners = std::max(1, spec_.cohort.learners);
  const int mix_size = std::clamp(2 + learners / 6, 2, static_cast<int>(catalogue.size()));
  std::vector<double> popularity;
  for (const auto& s : catalogue) popularity.push_back(s.popularity);
  for (int k = 0; k < mix_size; ++k) {
    const auto i = rng_.weighted(popularity);
    world_.subject_mix.push_back(static_cast<int>(i));
    popularity[i] = 0;
  }

  for (int i = 0; i < learners; ++i) make_learner(start, false);

  const int tutors = std::max(1, spec_.cohort.tutors);
  for (int t = 0; t < tutors; ++t) {
    Tutor tutor;
    tutor.id = person_id("tutor", static_cast<std::size_t>(t) + 1);
    tutor.subjects.push_back(world_.subject_mix[static_cast<std::size_t>(t) % world_.subject_mix.size()]);
    for (int extra = static_cast<int>(rng_.uniform_int(1, 2)); extra > 0; --extra) {
      const int s = rng_.pick(world_.subject_mix);
      if (std::find(tutor.subjects.begin(), tutor.subjects.end(), s) == tutor.subjects.end()) tutor.subjects.push_back(s);
    }
    tutor.quality = std::clamp(rng_.normal(0.72, 0.15), 0.2, 0.98);
    tutor.no_show = rng_.uniform(0.01, 0.06);
    // Working hours: a block on 4-6 days, placed where the main subject's demand is.
    std::array<int, 7> week = {0, 1, 2, 3, 4, 5, 6};
    for (int i = 6; i > 0; --i) std::swap(week[static_cast<std::size_t>(i)], week[rng_.index(static_cast<std::size_t>(i) + 1)]);
    const int work_days = static_cast<int>(rng_.uniform_int(4, 6));
    const int block_start = peak_hour(rng_, subject_info(tutor.subjects.front()).pattern) - 1;
    const int block_hours = static_cast<int>(rng_.uniform_int(3, 6));
    tutor.availability.resize(tutor.subjects.size());
    for (auto& grid : tutor.availability) {
      for (auto& day : grid) day.fill(0);
      for (int d = 0; d < work_days; ++d) {
        for (int h = block_start; h < std::min(24, block_start + block_hours); ++h) {
          grid[static_cast<std::size_t>(week[static_cast<std::size_t>(d)])][static_cast<std::size_t>(h)] =
              rng_.chance(0.3) ? 2 : 1;
        }
      }
    }
    world_.tutors.push_back(std::move(tutor));
    schedule(start + seconds(rng_.uniform(0, 86400)), {Kind::kTutorReview, t});
  }

  const int classes = std::max(0, spec_.cohort.classes);
  for (int c = 0; c < classes; ++c) {
    LiveClass live;
    std::vector<double> interest;
    for (int s : world_.subject_mix) {
      double n = 0.1;
      for (const auto& l : world_.learners) n += static_cast<double>(std::count(l.subjects.begin(), l.subjects.end(), s));
      interest.push_back(n);
    }
    live.subject = world_.subject_mix[rng_.weighted(interest)];
    live.course_id = course_id(live.subject);
    live.host = c % tutors;
    for (int t = 0; t < tutors; ++t) {
      const int candidate = (c + t) % tutors;
      const auto& subs = world_.tutors[static_cast<std::size_t>(candidate)].subjects;
      if (std::find(subs.begin(), subs.end(), live.subject) != subs.end()) {
        live.host = candidate;
        break;
      }
    }
    const auto pattern = subject_info(live.subject).pattern;
    live.weekday = static_cast<int>(pattern == DemandPattern::kWeekendPrep ? rng_.uniform_int(5, 6) : rng_.uniform_int(0, 4));
    live.hour = peak_hour(rng_, pattern);
    live.planned_minutes = rng_.chance(0.6) ? 45 : 60;
    std::vector<int> others;
    for (int i = 0; i < learners; ++i) {
      const auto& subs = world_.learners[static_cast<std::size_t>(i)].subjects;
      if (std::find(subs.begin(), subs.end(), live.subject) != subs.end()) {
        if (live.roster.size() < 12) live.roster.push_back(i);
      } else {
        others.push_back(i);
      }
    }
    while (live.roster.size() < std::min<std::size_t>(3, static_cast<std::size_t>(learners)) && !others.empty()) {
      const auto k = rng_.index(others.size());
      live.roster.push_back(others[k]);
      others.erase(others.begin() + static_cast<std::ptrdiff_t>(k));
    }
    core::Timestamp first = floor_hour(start) + kHour;
    while (weekday_of(first) != live.weekday || hour_of(first) != live.hour) first += kHour;
    live.next_start = first;
    world_.classes.push_back(std::move(live));
    schedule(std::max(start, first - days(rng_.uniform(1, 3))), {Kind::kClassAnnounced, c});
  }

  // Timers last: learners' pre-booked sessions need the tutors.
  for (int i = 0; i < learners; ++i) start_learner_timers(i, start, false);

  market_interval_ = market_interval(learners);
  schedule(floor_hour(start) + market_interval_, {Kind::kMarketSnapshot, 0});
}

int StreamGenerator::make_learner(core::Timestamp now, bool is_new) {
  const auto& catalogue = subjects();
  Learner l;
  const std::size_t index = world_.learners.size();
  l.id = person_id("learner", index + 1);
  static constexpr std::array<double, 3> kPlanWeights = {0.5, 0.35, 0.15};
  static constexpr std::array<const char*, 3> kPlans = {"basic", "plus", "premium"};
  static constexpr std::array<double, 3> kPlanVelocity = {1.0, 1.6, 2.4};
  const auto plan = rng_.weighted(kPlanWeights);
  l.plan = kPlans[plan];
  l.base_velocity = kPlanVelocity[plan] * rng_.uniform(0.7, 1.3);
  std::vector<double> weights;
  for (int s : world_.subject_mix) weights.push_back(catalogue[static_cast<std::size_t>(s)].popularity);
  const int wanted = rng_.chance(0.4) && world_.subject_mix.size() > 1 ? 2 : 1;
  while (static_cast<int>(l.subjects.size()) < wanted) {
    const auto k = rng_.weighted(weights);
    l.subjects.push_back(world_.subject_mix[k]);
    weights[k] = 0;
  }
  l.window_start_hour = peak_hour(rng_, subject_info(l.subjects.front()).pattern);
  l.window_hours = static_cast<int>(rng_.uniform_int(3, 5));
  l.ability = std::clamp(rng_.normal(0.72, 0.12), 0.3, 0.97);
  l.joined_at = is_new ? now : now - days(rng_.uniform(30, 400));
  l.first_session_pending = is_new || rng_.chance(0.08);
  if (!l.first_session_pending) {
    // The weeks before the timeline starts, so that velocity and call counts are right from day one.
    for (int n = rng_.poisson(l.base_velocity * 4); n > 0; --n) l.completed_sessions.push_back(now - days(rng_.uniform(0, 28)));
    for (int n = rng_.poisson(0.6); n > 0; --n) l.ib_calls.push_back(now - days(rng_.uniform(0, 30)));
  }
  if (rng_.chance(is_new ? 0.08 : 0.18)) {
    l.at_risk = true;
    l.churn_at = now + days(is_new ? rng_.uniform(20, 60) : rng_.uniform(2, 45));
  }
  world_.learners.push_back(std::move(l));
  return static_cast<int>(index);
}

void StreamGenerator::start_learner_timers(int learner, core::Timestamp now, bool is_new) {
  const Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  const double booking_gap_days = is_new ? 0.5 : 7.0 / l.base_velocity;
  schedule(now + days(rng_.exponential(booking_gap_days)), {Kind::kBookingCandidate, learner});
  schedule(now + days(rng_.exponential(1.0 / ib_rate_bound(l))), {Kind::kIbCandidate, learner, l.risk_generation});
  schedule(now + (is_new ? seconds(rng_.uniform(60, 3600)) : days(rng_.uniform(0, 7))), {Kind::kHealthCheck, learner});
  if (l.at_risk) schedule(l.churn_at, {Kind::kChurn, learner, l.risk_generation});
  if (!is_new) {
    // Sessions booked before the timeline starts.
    for (int n = rng_.poisson(l.base_velocity * 3 / 7 * velocity_factor(l, now)); n > 0; --n) {
      book_session(now, learner, false);
    }
  }
}

void StreamGenerator::mark_at_risk(int learner, core::Timestamp now, core::Timestamp churn_at) {
  Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  l.at_risk = true;
  l.churn_at = churn_at;
  ++l.risk_generation;   // the old call timer stops; a new one runs at the at-risk rate
  schedule(churn_at, {Kind::kChurn, learner, l.risk_generation});
  schedule(now + days(rng_.exponential(1.0 / ib_rate_bound(l))), {Kind::kIbCandidate, learner, l.risk_generation});
}

void StreamGenerator::maybe_put_at_risk(int learner, core::Timestamp now) {
  const Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  if (!l.at_risk && l.active && rng_.chance(0.6)) mark_at_risk(learner, now, now + days(rng_.uniform(10, 30)));
}

double StreamGenerator::velocity_factor(const Learner& learner, core::Timestamp t) const {
  if (!learner.active) return 0;
  if (!learner.at_risk) return 1;
  const double left = in_days(learner.churn_at - t);
  if (left >= kVelocityDeclineDays) return 1;
  if (left <= 0) return 0;
  return 0.15 + 0.85 * left / kVelocityDeclineDays;
}

double StreamGenerator::ib_rate_per_day(const Learner& learner, core::Timestamp t) const {
  double rate = kBaseIbCallsPerDay;
  if (learner.at_risk) {
    const double left = in_days(learner.churn_at - t);
    if (left > 0 && left <= kIbClusterDays) rate += 0.03 + (kClusterIbCallsPerDay - 0.03) * (1 - left / kIbClusterDays);
  }
  return rate;
}

double StreamGenerator::ib_rate_bound(const Learner& learner) const {
  return kBaseIbCallsPerDay + (learner.at_risk ? kClusterIbCallsPerDay : 0);
}

// --- happenings -------------------------------------------------------------------------------

void StreamGenerator::handle(core::Timestamp now, const Happening& h) {
  switch (h.kind) {
    case Kind::kBookingCandidate: return on_booking_candidate(now, h.index);
    case Kind::kSessionDue: return on_session_due(now, h.index);
    case Kind::kSessionCancelled: return on_session_cancelled(now, h.index);
    case Kind::kIbCandidate: return on_ib_candidate(now, h.index, h.generation);
    case Kind::kHealthCheck: return on_health_check(now, h.index);
    case Kind::kChurn: return on_churn(now, h.index, h.generation);
    case Kind::kLearnerJoins: return on_learner_joins(now);
    case Kind::kTutorReview: return on_tutor_review(now, h.index);
    case Kind::kMarketSnapshot: return on_market_snapshot(now);
    case Kind::kClassAnnounced: return on_class_announced(now, h.index);
    case Kind::kClassStarts: return on_class_starts(now, h.index);
  }
}

void StreamGenerator::on_booking_candidate(core::Timestamp now, int learner) {
  const Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  if (!l.active) return;
  // Thinning: candidates come at the healthy rate; the share that books falls as churn nears.
  if (rng_.chance(velocity_factor(l, now))) book_session(now, learner, true);
  schedule(now + days(rng_.exponential(7.0 / l.base_velocity)), {Kind::kBookingCandidate, learner});
}

bool StreamGenerator::tutor_free(const Tutor& tutor, int subject, core::Timestamp slot) const {
  const auto it = std::find(tutor.subjects.begin(), tutor.subjects.end(), subject);
  if (it == tutor.subjects.end()) return false;
  const auto& grid = tutor.availability[static_cast<std::size_t>(it - tutor.subjects.begin())];
  const int seats = grid[static_cast<std::size_t>(weekday_of(slot))][static_cast<std::size_t>(hour_of(slot))];
  const auto booked = tutor.booked.find(hour_number(slot));
  return (booked == tutor.booked.end() ? 0 : booked->second) < seats;
}

bool StreamGenerator::book_session(core::Timestamp now, int learner, bool count_demand) {
  const Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  const int subject = rng_.pick(l.subjects);
  const auto pattern = subject_info(subject).pattern;
  // The learner wants an hour in the next three days, by their own window and the subject's rhythm.
  const core::Timestamp first_slot = floor_hour(now) + 2 * kHour;
  constexpr int kSlots = 72;
  std::vector<double> wanted(kSlots), supplied(kSlots);
  bool any_supply = false;
  for (int k = 0; k < kSlots; ++k) {
    const core::Timestamp slot = first_slot + k * kHour;
    wanted[static_cast<std::size_t>(k)] =
        demand_weight(pattern, weekday_of(slot), hour_of(slot)) * (in_window(l, hour_of(slot)) ? 1.0 : 0.15);
    for (const auto& tutor : world_.tutors) {
      if (tutor_free(tutor, subject, slot)) {
        supplied[static_cast<std::size_t>(k)] = wanted[static_cast<std::size_t>(k)];
        any_supply = true;
        break;
      }
    }
  }
  auto k = rng_.weighted(wanted);
  core::Timestamp slot = first_slot + static_cast<int>(k) * kHour;
  if (count_demand) ++requested_[{subject, hour_number(slot)}];
  if (supplied[k] <= 0) {
    if (count_demand) ++unmet_demand_[{subject, weekday_of(slot), hour_of(slot)}];
    // Some learners take another hour that has a tutor; the rest give up for now.
    if (!any_supply || !rng_.chance(0.6)) return false;
    k = rng_.weighted(supplied);
    slot = first_slot + static_cast<int>(k) * kHour;
  }
  std::vector<int> candidates;
  std::vector<double> quality;
  for (std::size_t t = 0; t < world_.tutors.size(); ++t) {
    if (tutor_free(world_.tutors[t], subject, slot)) {
      candidates.push_back(static_cast<int>(t));
      quality.push_back(world_.tutors[t].quality);
    }
  }
  if (candidates.empty()) return false;
  const int tutor = candidates[rng_.weighted(quality)];
  Booking booking;
  booking.learner = learner;
  booking.tutor = tutor;
  booking.subject = subject;
  booking.session_id = person_id("tut", bookings_.size() + 1) + "-" + ids_.uuid().substr(0, 8);
  booking.booked_at = now;
  booking.booked_for = slot + (rng_.chance(0.5) ? std::chrono::minutes(30) : std::chrono::minutes(0));
  booking.hour_key = hour_number(slot);
  ++world_.tutors[static_cast<std::size_t>(tutor)].booked[booking.hour_key];
  const int index = static_cast<int>(bookings_.size());
  const double cancel = 0.04 + 0.12 * (1 - velocity_factor(l, now));
  if (rng_.chance(cancel)) {
    const auto lead = booking.booked_for - now;
    schedule(now + microseconds(static_cast<std::int64_t>(static_cast<double>(lead.count()) * rng_.uniform(0.1, 0.9))),
             {Kind::kSessionCancelled, index});
  } else {
    schedule(booking.booked_for, {Kind::kSessionDue, index});
  }
  bookings_.push_back(std::move(booking));
  return true;
}

namespace {

void release_seat(Tutor& tutor, std::int64_t hour_key) {
  auto it = tutor.booked.find(hour_key);
  if (it != tutor.booked.end() && --it->second <= 0) tutor.booked.erase(it);
}

SimSubject session_subject(const Learner& l, const Tutor& t, const std::string& session, int subject) {
  return {l.id, t.id, session, course_id(subject)};
}

}  // namespace

void StreamGenerator::on_session_cancelled(core::Timestamp now, int index) {
  Booking& b = bookings_[static_cast<std::size_t>(index)];
  Learner& l = world_.learners[static_cast<std::size_t>(b.learner)];
  Tutor& t = world_.tutors[static_cast<std::size_t>(b.tutor)];
  release_seat(t, b.hour_key);
  emit(now, session_subject(l, t, b.session_id, b.subject), "marketplace",
       TutoringSessionCompleted{std::string(subject_info(b.subject).id), "cancelled", 0, 0, l.first_session_pending});
}

void StreamGenerator::on_session_due(core::Timestamp now, int index) {
  Booking& b = bookings_[static_cast<std::size_t>(index)];
  Learner& l = world_.learners[static_cast<std::size_t>(b.learner)];
  Tutor& t = world_.tutors[static_cast<std::size_t>(b.tutor)];
  release_seat(t, b.hour_key);
  const std::string area(subject_info(b.subject).id);
  const auto subject = session_subject(l, t, b.session_id, b.subject);
  if (!l.active) {   // churned since booking
    emit(now, subject, "marketplace", TutoringSessionCompleted{area, "cancelled", 0, 0, l.first_session_pending});
    return;
  }
  if (rng_.chance(t.no_show)) {
    emit(now + std::chrono::minutes(15), subject, "marketplace",
         TutoringSessionCompleted{area, "no_show_tutor", 0, 0, l.first_session_pending});
    if (l.first_session_pending) maybe_put_at_risk(b.learner, now);
    return;
  }
  if (rng_.chance(0.03 + 0.12 * (1 - velocity_factor(l, now)))) {
    emit(now + std::chrono::minutes(15), subject, "marketplace",
         TutoringSessionCompleted{area, "no_show_learner", 0, 0, l.first_session_pending});
    return;
  }
  run_session(now, b);
}

void StreamGenerator::run_session(core::Timestamp now, Booking& b) {
  Learner& l = world_.learners[static_cast<std::size_t>(b.learner)];
  const Tutor& t = world_.tutors[static_cast<std::size_t>(b.tutor)];
  const std::string area(subject_info(b.subject).id);
  const auto subject = session_subject(l, t, b.session_id, b.subject);
  const double vf = velocity_factor(l, now);
  const bool first = l.first_session_pending;
  l.first_session_pending = false;

  static constexpr std::array<double, 3> kPlannedWeights = {0.3, 0.45, 0.25};
  static constexpr std::array<double, 3> kPlannedMinutes = {30, 45, 60};
  const double planned = kPlannedMinutes[rng_.weighted(kPlannedWeights)] * 60;
  // First sessions fail more often, and more with weaker tutors; later ones as the learner disengages.
  const double fail = first ? std::clamp(0.38 - 0.35 * t.quality, 0.04, 0.35) : 0.03 + 0.05 * (1 - vf);
  const bool failed = rng_.chance(fail);
  const double length = planned * (failed ? rng_.uniform(0.15, 0.5) : rng_.uniform(0.9, 1.1));
  const core::Timestamp start = now + seconds(rng_.uniform(0, 240));
  const core::Timestamp end = start + seconds(length);
  std::uint32_t rating = 0;
  if (failed) {
    if (rng_.chance(0.5)) rating = 1 + static_cast<std::uint32_t>(rng_.index(2));
  } else if (!rng_.chance(0.25)) {
    rating = static_cast<std::uint32_t>(std::clamp(std::lround(2.2 + 3 * t.quality + rng_.normal(0, 0.7)), 1L, 5L));
  }

  emit(start, subject, "marketplace", TutoringSessionStarted{area, first, b.booked_for});
  const XapiActivity activity{spec_.tenant, l.id, course_id(b.subject), course_title(b.subject), b.session_id};
  auto statement = [&](core::Timestamp at, XapiVerb verb, const XapiResult& result) {
    std::string id = ids_.uuid();
    std::string json = xapi_statement_json(verb, activity, result, id, at);
    emit(at, subject, "lrs", XapiStatement{std::move(json), "1.0.3"}, std::move(id));
  };
  statement(start + seconds(rng_.uniform(10, 60)), XapiVerb::kLaunched, {});
  const int checkpoints = length >= 40 * 60 ? 2 : 1;
  for (int j = 1; j <= checkpoints; ++j) {
    const double share = static_cast<double>(j) / (checkpoints + 1);
    XapiResult progress;
    progress.progress_percent = static_cast<int>(std::lround(share * 100));
    progress.duration = std::chrono::seconds(std::lround(length * share));
    statement(start + seconds(length * share), XapiVerb::kProgressed, progress);
  }
  emit(end, subject, "marketplace",
       TutoringSessionCompleted{area, failed ? "failed" : "completed",
                                static_cast<std::uint32_t>(std::lround(length / 60)), rating, first});
  if (failed) {
    if (first) {
      l.first_session_failed = true;
      maybe_put_at_risk(b.learner, now);
    }
    return;
  }
  l.completed_sessions.push_back(end);
  XapiResult done;
  done.completion = true;
  done.duration = std::chrono::seconds(std::lround(length));
  statement(end + seconds(rng_.uniform(5, 60)), XapiVerb::kCompleted, done);

  if (rng_.chance(0.6)) {   // an end-of-session quiz
    const core::Timestamp at = end + seconds(rng_.uniform(120, 720));
    const double p = std::clamp(l.ability + 0.1 * (t.quality - 0.7) - 0.15 * (1 - vf), 0.05, 0.98);
    QuizSubmission quiz;
    quiz.quiz_id = "quiz-" + course_id(b.subject) + "-" + std::to_string(1 + rng_.index(8));
    quiz.attempt_id = person_id("attempt", ++serial_);
    const int questions = static_cast<int>(rng_.uniform_int(5, 10));
    for (int q = 1; q <= questions; ++q) {
      const bool correct = rng_.chance(p);
      quiz.questions.push_back({"q" + std::to_string(q), correct, correct ? 1.0 : 0.0});
      quiz.score += correct ? 1 : 0;
    }
    quiz.max_score = questions;
    quiz.passed = quiz.score / quiz.max_score >= 0.7;
    quiz.duration_seconds = static_cast<std::uint32_t>(questions * rng_.uniform_int(40, 110));
    XapiResult scored;
    scored.score_raw = quiz.score;
    scored.score_max = quiz.max_score;
    scored.success = quiz.passed;
    scored.duration = std::chrono::seconds(quiz.duration_seconds);
    const bool passed = quiz.passed;
    emit(at, {l.id, {}, b.session_id, course_id(b.subject)}, "lms", std::move(quiz));
    statement(at + seconds(1), passed ? XapiVerb::kPassed : XapiVerb::kFailed, scored);
  }
}

void StreamGenerator::log_ib_call(core::Timestamp at, int learner, bool churn_cluster, bool cancelling) {
  Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  static constexpr std::array<const char*, 6> kReasons = {"billing", "scheduling", "technical", "quality", "cancel_request", "other"};
  static constexpr std::array<double, 6> kUsual = {0.3, 0.35, 0.2, 0.05, 0.0, 0.1};
  static constexpr std::array<double, 6> kUnhappy = {0.25, 0.15, 0.1, 0.25, 0.15, 0.1};
  static constexpr std::array<const char*, 3> kSentiments = {"negative", "neutral", "positive"};
  static constexpr std::array<double, 3> kUsualMood = {0.2, 0.55, 0.25};
  static constexpr std::array<double, 3> kUnhappyMood = {0.65, 0.3, 0.05};
  const bool unhappy = churn_cluster || cancelling;
  const char* reason = cancelling ? "cancel_request" : kReasons[rng_.weighted(unhappy ? kUnhappy : kUsual)];
  const char* sentiment = kSentiments[rng_.weighted(unhappy ? kUnhappyMood : kUsualMood)];
  l.ib_calls.push_back(at);
  emit(at, {l.id, {}, {}, {}}, "crm",
       IbCallLogged{person_id("call", ++serial_), reason, static_cast<std::uint32_t>(rng_.uniform_int(120, 1500)),
                    sentiment});
}

void StreamGenerator::on_ib_candidate(core::Timestamp now, int learner, int generation) {
  const Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  if (!l.active || generation != l.risk_generation) return;
  const double bound = ib_rate_bound(l);
  if (rng_.chance(ib_rate_per_day(l, now) / bound)) {
    const bool cluster = l.at_risk && in_days(l.churn_at - now) <= kIbClusterDays;
    log_ib_call(now, learner, cluster, false);
  }
  schedule(now + days(rng_.exponential(1.0 / bound)), {Kind::kIbCandidate, learner, generation});
}

CustomerHealthUpdate StreamGenerator::health_of(Learner& l, core::Timestamp now) {
  const double velocity = static_cast<double>(trailing_count(l.completed_sessions, now, days(28))) / 4.0;
  const auto calls = static_cast<std::uint32_t>(trailing_count(l.ib_calls, now, days(30)));
  double score = 55 + 15 * std::min(velocity, 3.0) - 10.0 * calls - (l.first_session_failed ? 12 : 0) +
                 rng_.normal(0, 4);
  score = std::round(std::clamp(score, 0.0, 100.0) * 10) / 10;
  return {score, velocity, calls, l.plan};
}

void StreamGenerator::on_health_check(core::Timestamp now, int learner) {
  Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  if (!l.active) return;
  emit(now, {l.id, {}, {}, {}}, "crm", health_of(l, now));
  schedule(now + kWeek, {Kind::kHealthCheck, learner});
}

void StreamGenerator::on_churn(core::Timestamp now, int learner, int generation) {
  Learner& l = world_.learners[static_cast<std::size_t>(learner)];
  if (!l.active || generation != l.risk_generation) return;
  log_ib_call(now, learner, true, true);
  l.plan = "cancelled";
  auto health = health_of(l, now + std::chrono::minutes(1));
  health.health_score = std::min(health.health_score, 15.0);
  emit(now + std::chrono::minutes(1), {l.id, {}, {}, {}}, "crm", health);
  l.active = false;
  for (auto& live : world_.classes) std::erase(live.roster, learner);
  schedule(now + days(rng_.exponential(5)), {Kind::kLearnerJoins, 0});
}

void StreamGenerator::on_learner_joins(core::Timestamp now) {
  const int learner = make_learner(now, true);
  start_learner_timers(learner, now, true);
  const auto& subs = world_.learners.back().subjects;
  LiveClass* best = nullptr;
  for (auto& live : world_.classes) {
    const bool matches = std::find(subs.begin(), subs.end(), live.subject) != subs.end();
    if (live.roster.size() < 12 && (matches || best == nullptr || live.roster.size() < best->roster.size())) {
      best = &live;
      if (matches) break;
    }
  }
  if (best != nullptr) best->roster.push_back(learner);
}

void StreamGenerator::on_tutor_review(core::Timestamp now, int index) {
  Tutor& tutor = world_.tutors[static_cast<std::size_t>(index)];
  struct Change { std::size_t subject; int weekday, hour; };
  std::vector<Change> changes;
  // Supply follows demand: half of the reviews open an hour that learners asked for and did not get.
  const std::tuple<int, int, int>* wanted = nullptr;
  int most = 0;
  for (const auto& [key, count] : unmet_demand_) {
    const auto it = std::find(tutor.subjects.begin(), tutor.subjects.end(), std::get<0>(key));
    if (it != tutor.subjects.end() && count > most) {
      wanted = &key;
      most = count;
    }
  }
  if (wanted != nullptr && rng_.chance(0.5)) {
    const auto key = *wanted;
    const auto [subject, weekday, hour] = key;
    const auto s = static_cast<std::size_t>(std::find(tutor.subjects.begin(), tutor.subjects.end(), subject) - tutor.subjects.begin());
    auto& seats = tutor.availability[s][static_cast<std::size_t>(weekday)][static_cast<std::size_t>(hour)];
    seats = static_cast<std::uint8_t>(std::min(2, seats + 1));
    changes.push_back({s, weekday, hour});
    unmet_demand_.erase(key);
  } else {
    const auto s = rng_.index(tutor.subjects.size());
    const int weekday = static_cast<int>(rng_.index(7));
    const int hour = static_cast<int>(rng_.uniform_int(8, 21));
    auto& day = tutor.availability[s][static_cast<std::size_t>(weekday)];
    const std::uint8_t seats = day[static_cast<std::size_t>(hour)] > 0
                                   ? static_cast<std::uint8_t>(rng_.chance(0.6) ? 0 : day[static_cast<std::size_t>(hour)] - 1)
                                   : static_cast<std::uint8_t>(rng_.chance(0.3) ? 2 : 1);
    const int span = rng_.chance(0.5) ? 2 : 1;
    for (int h = hour; h < hour + span; ++h) {
      day[static_cast<std::size_t>(h)] = seats;
      changes.push_back({s, weekday, h});
    }
  }
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    const auto seats = tutor.availability[c.subject][static_cast<std::size_t>(c.weekday)][static_cast<std::size_t>(c.hour)];
    emit(now + seconds(static_cast<double>(i)), {{}, tutor.id, {}, {}}, "marketplace",
         TutorAvailabilityUpdated{std::string(subject_info(tutor.subjects[c.subject]).id),
                                  static_cast<std::uint32_t>(c.weekday), static_cast<std::uint32_t>(c.hour), seats});
  }
  schedule(now + days(rng_.uniform(0.75, 1.25)), {Kind::kTutorReview, index});
}

void StreamGenerator::on_market_snapshot(core::Timestamp now) {
  // One subject per snapshot, drawn afresh each time so every subject is seen at every hour.
  const int subject = rng_.pick(world_.subject_mix);
  const std::int64_t hour = hour_number(now);
  std::uint32_t tutors = 0;
  for (const auto& tutor : world_.tutors) tutors += tutor_free(tutor, subject, now) ? 1 : 0;
  const auto wanted = requested_.find({subject, hour});
  emit(now, {}, "marketplace",
       SupplyDemandUpdate{std::string(subject_info(subject).id), static_cast<std::uint32_t>(hour_of(now)),
                          static_cast<std::uint32_t>(wanted == requested_.end() ? 0 : wanted->second), tutors});
  std::erase_if(requested_, [hour](const auto& entry) { return entry.first.second <= hour; });
  schedule(now + market_interval_, {Kind::kMarketSnapshot, 0});
}

void StreamGenerator::on_class_announced(core::Timestamp now, int index) {
  LiveClass& live = world_.classes[static_cast<std::size_t>(index)];
  const auto& info = subject_info(live.subject);
  ++live.occurrences;
  // A live class occurrence is one session: its id is unique per run (from the run's id stream, as
  // event ids are), so two runs of one seed never claim each other's (session, sequence) slots.
  live.current_session = person_id("live", static_cast<std::size_t>(index) + 1) + "-" + std::to_string(live.occurrences) +
                         "-" + ids_.uuid().substr(0, 8);
  const core::Timestamp starts_at = live.next_start;
  const std::string topic(info.topics[rng_.index(info.topics.size())]);
  emit(now, {{}, {}, live.current_session, live.course_id}, "classroom",
       ClassSessionEvent{1, SessionScheduled{starts_at, live.planned_minutes, std::string(info.title) + ": " + topic,
                                             world_.tutors[static_cast<std::size_t>(live.host)].id}});
  schedule(starts_at, {Kind::kClassStarts, index});
  live.next_start = starts_at + kWeek;
  schedule(live.next_start - days(rng_.uniform(1, 3)), {Kind::kClassAnnounced, index});
}

void StreamGenerator::on_class_starts(core::Timestamp now, int index) {
  const LiveClass& live = world_.classes[static_cast<std::size_t>(index)];
  ClassScriptInput input;
  input.host_id = world_.tutors[static_cast<std::size_t>(live.host)].id;
  for (int learner : live.roster) {
    const Learner& l = world_.learners[static_cast<std::size_t>(learner)];
    // Disengaging learners skip classes too.
    if (l.active && rng_.chance(0.85 * (0.4 + 0.6 * velocity_factor(l, now)))) input.attendees.push_back(l.id);
  }
  if (world_.tutors.size() > 1 && rng_.chance(0.15)) {
    const auto other = (static_cast<std::size_t>(live.host) + 1 + rng_.index(world_.tutors.size() - 1)) % world_.tutors.size();
    input.observer_id = world_.tutors[other].id;
  }
  input.subject = &subject_info(live.subject);
  input.deck_id = "deck-" + live.course_id;
  input.id_prefix = live.current_session;
  input.planned_minutes = live.planned_minutes;
  const core::Timestamp start = now + seconds(rng_.uniform(0, 180));
  std::uint64_t sequence = 2;   // 1 was `scheduled`
  for (auto& line : build_class_script(rng_, input)) {
    emit(start + line.at, {{}, {}, live.current_session, live.course_id}, "classroom",
         ClassSessionEvent{sequence++, std::move(line.detail)});
  }
}

}  // namespace edfleet::sim
