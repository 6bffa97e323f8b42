#include "adapters/pg_event_count_store.h"

#include <set>
#include <utility>

#include <pqxx/pqxx>

#include "adapters/pg_array.h"
#include "edfleet/core/time_format.h"

namespace edfleet::analytics {

namespace {

// Named prepared statements: prepare() only records the definition (a no-op when the connection
// already has it); the server-side PREPARE happens on first use on each connection.
constexpr const char* kClaim = "analytics_claim";
constexpr const char* kClaimSql = R"sql(
INSERT INTO processed_events (tenant, event_id)
SELECT * FROM unnest($1::text[], $2::uuid[])
ON CONFLICT DO NOTHING
RETURNING tenant, event_id::text
)sql";

// The three counter tables in one statement (data-modifying CTEs): one round trip per batch.
constexpr const char* kAdd = "analytics_add";
constexpr const char* kAddSql = R"sql(
WITH days AS (
  INSERT INTO event_counts AS c (tenant, day, type, count)
  SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::bigint[])
  ON CONFLICT (tenant, day, type) DO UPDATE SET count = c.count + EXCLUDED.count
), learners AS (
  INSERT INTO learner_counters AS l (tenant, learner_id, total_events, first_seen, last_seen,
                                     quiz_submissions, quiz_scored, quiz_percent_sum,
                                     tutoring_sessions_completed, ib_calls)
  SELECT * FROM unnest($5::text[], $6::text[], $7::bigint[], $8::timestamptz[], $9::timestamptz[],
                       $10::bigint[], $11::bigint[], $12::float8[], $13::bigint[], $14::bigint[])
  ON CONFLICT (tenant, learner_id) DO UPDATE SET
    total_events = l.total_events + EXCLUDED.total_events,
    first_seen = LEAST(l.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(l.last_seen, EXCLUDED.last_seen),
    quiz_submissions = l.quiz_submissions + EXCLUDED.quiz_submissions,
    quiz_scored = l.quiz_scored + EXCLUDED.quiz_scored,
    quiz_percent_sum = l.quiz_percent_sum + EXCLUDED.quiz_percent_sum,
    tutoring_sessions_completed = l.tutoring_sessions_completed + EXCLUDED.tutoring_sessions_completed,
    ib_calls = l.ib_calls + EXCLUDED.ib_calls,
    updated_at = now()
)
INSERT INTO learner_type_counts AS t (tenant, learner_id, type, count)
SELECT * FROM unnest($15::text[], $16::text[], $17::text[], $18::bigint[])
ON CONFLICT (tenant, learner_id, type) DO UPDATE SET count = t.count + EXCLUDED.count
)sql";

constexpr const char* kOffsets = "analytics_offsets";
constexpr const char* kOffsetsSql = R"sql(
INSERT INTO consumer_offsets AS o (topic, partition, next_offset)
SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[])
ON CONFLICT (topic, partition) DO UPDATE SET
  next_offset = GREATEST(o.next_offset, EXCLUDED.next_offset),
  updated_at = now()
)sql";

constexpr const char* kStoredOffset = "analytics_stored_offset";
constexpr const char* kStoredOffsetSql =
    "SELECT next_offset FROM consumer_offsets WHERE topic = $1 AND partition = $2";

constexpr const char* kEventCounts = "analytics_event_counts";
constexpr const char* kEventCountsSql = R"sql(
SELECT day::text, type, count FROM event_counts
WHERE tenant = $1 AND day BETWEEN $2::date AND $3::date
  AND (cardinality($4::text[]) = 0 OR type = ANY($4::text[]))
ORDER BY day, type
)sql";

constexpr const char* kLearner = "analytics_learner";
constexpr const char* kLearnerSql = R"sql(
SELECT total_events,
       (extract(epoch FROM first_seen) * 1000000)::bigint,
       (extract(epoch FROM last_seen) * 1000000)::bigint,
       quiz_submissions, quiz_scored, quiz_percent_sum, tutoring_sessions_completed, ib_calls
FROM learner_counters WHERE tenant = $1 AND learner_id = $2
)sql";

constexpr const char* kLearnerTypes = "analytics_learner_types";
constexpr const char* kLearnerTypesSql =
    "SELECT type, count FROM learner_type_counts WHERE tenant = $1 AND learner_id = $2";

void prepare_all(pqxx::connection_base& connection) {
  static const std::pair<const char*, const char*> kStatements[] = {
      {kClaim, kClaimSql},         {kAdd, kAddSql},
      {kOffsets, kOffsetsSql},     {kStoredOffset, kStoredOffsetSql},
      {kEventCounts, kEventCountsSql}, {kLearner, kLearnerSql},
      {kLearnerTypes, kLearnerTypesSql}};
  for (const auto& [name, sql] : kStatements) connection.prepare(name, sql);
}


// Runs `body`, turning failures that a retry may fix into StoreUnavailable. `on_broken` is told
// when the connection itself is gone so the pool drops it.
template <typename Body, typename OnBroken>
auto guarded(std::string_view what, Body&& body, OnBroken&& on_broken) -> decltype(body()) {
  try {
    return body();
  } catch (const StoreUnavailable&) {
    throw;
  } catch (const pg::Unavailable& e) {
    throw StoreUnavailable(std::string(what) + ": " + e.what());
  } catch (const pqxx::broken_connection& e) {
    on_broken();
    throw StoreUnavailable(std::string(what) + ": connection lost: " + e.what());
  } catch (const pqxx::in_doubt_error& e) {
    // The commit may or may not have happened; retrying is safe (claims make it idempotent).
    on_broken();
    throw StoreUnavailable(std::string(what) + ": commit outcome unknown: " + e.what());
  } catch (const pqxx::transaction_rollback& e) {
    // Serialization failure or deadlock (libpqxx 6 does not derive these from sql_error).
    throw StoreUnavailable(std::string(what) + ": " + e.what());
  } catch (const pqxx::sql_error& e) {
    if (pg::is_transient_sqlstate(e.sqlstate())) {
      throw StoreUnavailable(std::string(what) + ": " + e.what());
    }
    throw;
  }
}

std::string format_ts(core::Timestamp t) { return core::format_rfc3339(t); }

core::Timestamp from_micros(std::int64_t micros) {
  return core::Timestamp{std::chrono::microseconds{micros}};
}

class PgCountBatch final : public CountBatch {
 public:
  explicit PgCountBatch(pg::ConnectionPool::Lease lease) : lease_(std::move(lease)) {
    run("begin batch", [&] {
      prepare_all(*lease_);
      work_ = std::make_unique<pqxx::work>(*lease_, "analytics_batch");
    });
  }

  ~PgCountBatch() override {
    // Roll back unless committed; an abort on a dead connection must not throw out of here.
    try {
      work_.reset();
    } catch (...) {
      lease_.mark_broken();
    }
  }

  std::vector<bool> claim(std::span<const EventKey> events) override {
    return run("claim events", [&] {
      pg_array::Builder tenants;
      pg_array::Builder ids;
      for (const auto& key : events) {
        tenants.add(key.tenant);
        ids.add(key.event_id);
      }
      const auto rows = work_->exec_prepared(kClaim, tenants.str(), ids.str());
      std::set<EventKey> inserted;
      for (const auto& row : rows) {
        inserted.insert(EventKey{row[0].as<std::string>(), row[1].as<std::string>()});
      }
      std::vector<bool> fresh;
      fresh.reserve(events.size());
      // Each inserted row makes at most one key fresh, even if two spellings of one UUID slipped in.
      for (const auto& key : events) fresh.push_back(inserted.erase(lowercase(key)) > 0);
      return fresh;
    });
  }

  void add(const CountDeltas& deltas) override {
    run("add counts", [&] {
      pg_array::Builder day_tenants, days, day_types, day_counts;
      for (const auto& [key, count] : deltas.event_counts) {
        day_tenants.add(key.tenant);
        days.add(key.day);
        day_types.add(key.type);
        day_counts.add(count);
      }
      pg_array::Builder l_tenants, l_ids, totals, firsts, lasts, quizzes, scored, sums, tutoring, calls;
      pg_array::Builder t_tenants, t_ids, t_types, t_counts;
      for (const auto& [key, c] : deltas.learners) {
        l_tenants.add(key.tenant);
        l_ids.add(key.learner_id);
        totals.add(c.total_events);
        firsts.add(format_ts(c.first_seen));
        lasts.add(format_ts(c.last_seen));
        quizzes.add(c.quiz_submissions);
        scored.add(c.quiz_scored);
        sums.add(c.quiz_percent_sum);
        tutoring.add(c.tutoring_sessions_completed);
        calls.add(c.ib_calls);
        for (const auto& [type, count] : c.events_by_type) {
          t_tenants.add(key.tenant);
          t_ids.add(key.learner_id);
          t_types.add(type);
          t_counts.add(count);
        }
      }
      work_->exec_prepared(kAdd, day_tenants.str(), days.str(), day_types.str(), day_counts.str(),
                           l_tenants.str(), l_ids.str(), totals.str(), firsts.str(), lasts.str(),
                           quizzes.str(), scored.str(), sums.str(), tutoring.str(), calls.str(),
                           t_tenants.str(), t_ids.str(), t_types.str(), t_counts.str());
    });
  }

  void store_offsets(std::span<const PartitionOffset> offsets) override {
    run("store offsets", [&] {
      pg_array::Builder topics, partitions, next;
      for (const auto& o : offsets) {
        topics.add(o.topic);
        partitions.add(static_cast<std::int64_t>(o.partition));
        next.add(o.next_offset);
      }
      work_->exec_prepared(kOffsets, topics.str(), partitions.str(), next.str());
    });
  }

  void commit() override {
    run("commit batch", [&] { work_->commit(); });
  }

 private:
  static EventKey lowercase(EventKey key) {
    for (auto& c : key.event_id) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    return key;
  }

  template <typename Body>
  auto run(std::string_view what, Body&& body) -> decltype(body()) {
    return guarded(what, std::forward<Body>(body), [this] { lease_.mark_broken(); });
  }

  pg::ConnectionPool::Lease lease_;
  std::unique_ptr<pqxx::work> work_;
};

}  // namespace

PgEventCountStore::PgEventCountStore(pg::ConnectionPool& pool, std::chrono::milliseconds acquire_timeout)
    : pool_(pool), acquire_timeout_(acquire_timeout) {}

std::unique_ptr<CountBatch> PgEventCountStore::begin_batch() {
  auto lease = guarded("begin batch", [&] { return pool_.acquire(acquire_timeout_); }, [] {});
  return std::make_unique<PgCountBatch>(std::move(lease));
}

std::optional<std::int64_t> PgEventCountStore::stored_offset(const std::string& topic,
                                                            std::int32_t partition) {
  auto lease = guarded("stored offset", [&] { return pool_.acquire(acquire_timeout_); }, [] {});
  return guarded(
      "stored offset",
      [&]() -> std::optional<std::int64_t> {
        prepare_all(*lease);
        pqxx::read_transaction txn(*lease);
        const auto rows = txn.exec_prepared(kStoredOffset, topic, partition);
        if (rows.empty()) return std::nullopt;
        return rows[0][0].as<std::int64_t>();
      },
      [&] { lease.mark_broken(); });
}

std::vector<EventCountRow> PgEventCountStore::event_counts(std::string_view tenant,
                                                           std::string_view from_day,
                                                           std::string_view to_day,
                                                           std::span<const std::string> types) {
  auto lease = guarded("event counts", [&] { return pool_.acquire(acquire_timeout_); }, [] {});
  return guarded(
      "event counts",
      [&] {
        prepare_all(*lease);
        pg_array::Builder type_array;
        for (const auto& type : types) type_array.add(type);
        pqxx::read_transaction txn(*lease);
        const auto rows = txn.exec_prepared(kEventCounts, std::string(tenant), std::string(from_day),
                                            std::string(to_day), type_array.str());
        std::vector<EventCountRow> result;
        result.reserve(rows.size());
        for (const auto& row : rows) {
          result.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                            row[2].as<std::int64_t>()});
        }
        return result;
      },
      [&] { lease.mark_broken(); });
}

std::optional<LearnerCounters> PgEventCountStore::learner_counters(std::string_view tenant,
                                                                   std::string_view learner_id) {
  auto lease = guarded("learner summary", [&] { return pool_.acquire(acquire_timeout_); }, [] {});
  return guarded(
      "learner summary",
      [&]() -> std::optional<LearnerCounters> {
        prepare_all(*lease);
        // One snapshot for both statements, so the totals and the per-type counts agree.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> txn(*lease);
        const std::string t(tenant);
        const std::string l(learner_id);
        const auto rows = txn.exec_prepared(kLearner, t, l);
        if (rows.empty()) return std::nullopt;
        const auto& row = rows[0];
        LearnerCounters counters;
        counters.total_events = row[0].as<std::int64_t>();
        counters.first_seen = from_micros(row[1].as<std::int64_t>());
        counters.last_seen = from_micros(row[2].as<std::int64_t>());
        counters.quiz_submissions = row[3].as<std::int64_t>();
        counters.quiz_scored = row[4].as<std::int64_t>();
        counters.quiz_percent_sum = row[5].as<double>();
        counters.tutoring_sessions_completed = row[6].as<std::int64_t>();
        counters.ib_calls = row[7].as<std::int64_t>();
        for (const auto& type_row : txn.exec_prepared(kLearnerTypes, t, l)) {
          counters.events_by_type[type_row[0].as<std::string>()] = type_row[1].as<std::int64_t>();
        }
        txn.commit();
        return counters;
      },
      [&] { lease.mark_broken(); });
}

}  // namespace edfleet::analytics
