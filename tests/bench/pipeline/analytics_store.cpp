#include "analytics_store.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <numeric>
#include <tuple>
#include <vector>

#include <pqxx/pqxx>
#include <pqxx/stream_to>

#include "edfleet/bench/bench.h"
#include "edfleet/core/time_format.h"
#include "edfleet/pg/migrations.h"

namespace edfleet::analytics {
const std::vector<pg::Migration>& migrations();   // generated from services/analytics/migrations
}

namespace edfleet::bench {
namespace {

struct TypeShare {
  const char* type;
  double weight;
  bool has_learner;   // the subject ids ingest requires / the mix sets for this type
};

// Every event type, with a plausible share of the traffic (xAPI and live-class chatter dominate).
constexpr std::array<TypeShare, 22> kTypes{{
    {"xapi.statement", 30, true},           {"quiz.submitted", 10, true},
    {"session.scheduled", 1, false},        {"session.started", 1, false},
    {"session.participant_joined", 6, true}, {"session.participant_left", 5, false},
    {"session.scene_changed", 2, false},    {"session.slide_changed", 4, false},
    {"session.chat_message", 12, true},     {"session.question_asked", 2, false},
    {"session.question_answered", 2, false}, {"session.poll_created", 1, false},
    {"session.poll_voted", 4, false},       {"session.poll_closed", 1, false},
    {"session.transcript_segment", 8, false}, {"session.ended", 1, false},
    {"ops.session_started", 2, true},       {"ops.session_completed", 2, true},
    {"ops.ib_call_logged", 1, true},        {"ops.tutor_availability_updated", 2, false},
    {"ops.customer_health_update", 2, true}, {"ops.supply_demand_update", 1, false},
}};

// A deterministic value in [0, 1) from a few integers (splitmix64), for repeatable variety.
double unit_hash(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0) {
  std::uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL) * 0xBF58476D1CE4E5B9ULL ^ c * 0x94D049BB133111EBULL;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) / 9007199254740992.0;
}

// Splits `total` into integers proportional to `weights` that add up to exactly `total`
// (largest remainder).
std::vector<std::int64_t> apportion(std::int64_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::int64_t> out(weights.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    out[i] = static_cast<std::int64_t>(std::floor(exact));
    given += out[i];
    remainders.emplace_back(exact - static_cast<double>(out[i]), i);
  }
  std::sort(remainders.begin(), remainders.end(), std::greater<>());
  for (std::size_t i = 0; given < total; ++i, ++given) ++out[remainders[i % remainders.size()].second];
  return out;
}

struct LearnerTotals {
  std::int64_t total = 0, quiz = 0, completed = 0, ib = 0;
};

}  // namespace

StoreLoad bulk_load_analytics_store(const std::string& postgres_url, const Population& population, std::int64_t events) {
  const auto started = std::chrono::steady_clock::now();
  StoreLoad load;
  load.events = events;
  pqxx::connection connection(postgres_url);
  pg::apply_migrations(connection, "analytics", analytics::migrations());

  const auto now = core::SystemClock::instance().now();
  const auto today = *core::parse_day(core::format_day(now));
  const int tenants = population.tenants;
  const int days = population.days;
  const int learners = population.learners_per_tenant;

  std::vector<double> type_weights;
  for (const auto& t : kTypes) type_weights.push_back(t.weight);
  // processed_events below puts event g (1..events) in tenant g % tenants: the same split here.
  std::vector<std::int64_t> per_tenant;
  for (int t = 0; t < tenants; ++t) {
    per_tenant.push_back(events / tenants + ((t >= 1 && t <= events % tenants) ? 1 : 0));
  }

  // Counters first, in memory (one COPY at a time per connection), then streamed.
  using CountRow = std::tuple<std::string, std::string, std::string, std::int64_t>;
  using LearnerRow = std::tuple<std::string, std::string, std::int64_t, std::string, std::string, std::int64_t,
                                std::int64_t, double, std::int64_t, std::int64_t>;
  std::vector<CountRow> count_rows;
  std::vector<CountRow> learner_type_rows;
  std::vector<LearnerRow> learner_rows;
  std::vector<std::string> day_names;
  for (int j = 0; j < days; ++j) day_names.push_back(core::format_day(today - std::chrono::hours(24 * (days - 1 - j))));

  for (int t = 0; t < tenants; ++t) {
    const std::string tenant = Population::tenant(t);
    const auto per_type = apportion(per_tenant[static_cast<std::size_t>(t)], type_weights);
    std::vector<LearnerTotals> totals(static_cast<std::size_t>(learners));
    for (std::size_t k = 0; k < kTypes.size(); ++k) {
      // Over the days: growing traffic, quiet weekends, some noise.
      std::vector<double> day_weights;
      for (int j = 0; j < days; ++j) {
        const auto weekday = std::chrono::weekday(
            std::chrono::floor<std::chrono::days>(today - std::chrono::hours(24 * (days - 1 - j))));
        const bool weekend = weekday == std::chrono::Saturday || weekday == std::chrono::Sunday;
        day_weights.push_back((0.6 + 0.8 * j / days) * (weekend ? 0.45 : 1.0) * (0.85 + 0.3 * unit_hash(t, k, j)));
      }
      const auto per_day = apportion(per_type[k], day_weights);
      for (int j = 0; j < days; ++j) {
        if (per_day[static_cast<std::size_t>(j)] == 0) continue;
        count_rows.emplace_back(tenant, day_names[static_cast<std::size_t>(j)], kTypes[k].type,
                                per_day[static_cast<std::size_t>(j)]);
      }
      if (!kTypes[k].has_learner) continue;
      // Over the learners: some learners far more active than others.
      std::vector<double> learner_weights;
      for (int l = 0; l < learners; ++l) {
        learner_weights.push_back((0.2 + 2 * std::pow(unit_hash(t, l), 3)) * (0.5 + unit_hash(t, l, k + 100)));
      }
      const auto per_learner = apportion(per_type[k], learner_weights);
      for (int l = 0; l < learners; ++l) {
        const auto n = per_learner[static_cast<std::size_t>(l)];
        if (n == 0) continue;
        learner_type_rows.emplace_back(tenant, Population::learner(l), kTypes[k].type, n);
        auto& total = totals[static_cast<std::size_t>(l)];
        total.total += n;
        const std::string_view type = kTypes[k].type;
        if (type == "quiz.submitted") total.quiz += n;
        if (type == "ops.session_completed") total.completed += n * 7 / 10;
        if (type == "ops.ib_call_logged") total.ib += n;
      }
    }
    for (int l = 0; l < learners; ++l) {
      const auto& total = totals[static_cast<std::size_t>(l)];
      if (total.total == 0) continue;
      const auto span = std::chrono::hours(24 * days);
      const auto first =
          now - span + std::chrono::duration_cast<std::chrono::microseconds>(span * 0.7 * unit_hash(t, l, 1));
      const auto last =
          now - std::chrono::duration_cast<std::chrono::microseconds>((now - first) * 0.3 * unit_hash(t, l, 2));
      learner_rows.emplace_back(tenant, Population::learner(l), total.total, core::format_rfc3339(first),
                                core::format_rfc3339(last), total.quiz, total.quiz,
                                static_cast<double>(total.quiz) * (50 + 45 * unit_hash(t, l, 3)), total.completed,
                                total.ib);
    }
  }
  load.event_count_rows = count_rows.size();
  load.learner_type_rows = learner_type_rows.size();
  load.learner_rows = learner_rows.size();

  pqxx::work work(connection);
  auto copy = [&work](const char* table, const std::vector<std::string>& columns, const auto& rows) {
    pqxx::stream_to stream(work, table, columns);
    for (const auto& row : rows) stream << row;
    stream.complete();
  };
  copy("event_counts", {"tenant", "day", "type", "count"}, count_rows);
  copy("learner_type_counts", {"tenant", "learner_id", "type", "count"}, learner_type_rows);
  copy("learner_counters",
       {"tenant", "learner_id", "total_events", "first_seen", "last_seen", "quiz_submissions", "quiz_scored",
        "quiz_percent_sum", "tutoring_sessions_completed", "ib_calls"},
       learner_rows);

  // One row per event, as analytics' claims would have left them; the indexes are built once at
  // the end (by sorting) instead of row by row.
  work.exec("SET LOCAL maintenance_work_mem = '512MB'");
  work.exec("ALTER TABLE processed_events DROP CONSTRAINT processed_events_pkey");
  work.exec("DROP INDEX processed_events_processed_at_brin");
  work.exec("INSERT INTO processed_events (tenant, event_id, processed_at) "
            "SELECT 'tenant-' || lpad((g % " + std::to_string(tenants) + ")::text, 2, '0'), gen_random_uuid(), "
            "now() - interval '1 day' * (" + std::to_string(days) + " * (" + std::to_string(events) + " - g)::float8 / " +
            std::to_string(std::max<std::int64_t>(events, 1)) + ") "
            "FROM generate_series(1, " + std::to_string(events) + ") AS g");
  work.exec("ALTER TABLE processed_events ADD CONSTRAINT processed_events_pkey PRIMARY KEY (tenant, event_id)");
  work.exec("CREATE INDEX processed_events_processed_at_brin ON processed_events USING brin (processed_at)");
  work.commit();

  // What autovacuum would have done by the time 10M events were counted: statistics, visibility map.
  pqxx::nontransaction maintenance(connection);
  maintenance.exec("VACUUM ANALYZE processed_events, event_counts, learner_counters, learner_type_counts");
  load.seconds = elapsed_ms(started) / 1000.0;
  return load;
}

}  // namespace edfleet::bench
