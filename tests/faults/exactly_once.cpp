#include "exactly_once.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <sstream>

#include <pqxx/pqxx>

#include "edfleet/analytics/v1/analytics.grpc.pb.h"
#include "edfleet/core/time_format.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/testing/internal_auth.h"
#include "event_mix.h"

namespace edfleet::faults {
namespace {

using Key = std::pair<std::string, std::string>;   // (tenant, lower-case event id)

struct DatabaseSnapshot {
  std::set<Key> processed;
  std::int64_t event_counts_sum = 0;
  std::int64_t learner_totals_sum = 0;
  std::int64_t learner_type_counts_sum = 0;
};

// The ids ingest's ledger records as accepted (on Kafka); pending claims (accepted_at NULL: a publish
// in progress, failed, or cut short by a kill) are not.
std::set<Key> read_ledger(const std::string& url) {
  std::set<Key> ledger;
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  for (const auto& row : tx.exec("SELECT tenant, event_id::text FROM accepted_events WHERE accepted_at IS NOT NULL")) {
    ledger.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  }
  tx.commit();
  return ledger;
}

DatabaseSnapshot read_snapshot(const std::string& url) {
  DatabaseSnapshot snapshot;
  pqxx::connection connection(url);
  // One snapshot: the ids and the counters as of the same committed batches.
  pqxx::transaction<pqxx::repeatable_read> tx(connection);
  for (const auto& row : tx.exec("SELECT tenant, event_id::text FROM processed_events")) {
    snapshot.processed.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  }
  snapshot.event_counts_sum = tx.exec("SELECT coalesce(sum(count), 0) FROM event_counts")[0][0].as<std::int64_t>();
  snapshot.learner_totals_sum =
      tx.exec("SELECT coalesce(sum(total_events), 0) FROM learner_counters")[0][0].as<std::int64_t>();
  snapshot.learner_type_counts_sum =
      tx.exec("SELECT coalesce(sum(count), 0) FROM learner_type_counts")[0][0].as<std::int64_t>();
  tx.commit();
  return snapshot;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string day_of(const events::v1::Event& event) {
  return core::format_day(core::Timestamp(std::chrono::seconds(event.occurred_at().seconds())));
}

void with_deadline(::grpc::ClientContext& context, const std::string& tenant) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {tenant, "service:tests", ""});
}

}  // namespace

std::int64_t processed_count(const std::string& analytics_database_url) {
  pqxx::connection connection(analytics_database_url);
  pqxx::read_transaction tx(connection);
  return tx.exec("SELECT count(*) FROM processed_events")[0][0].as<std::int64_t>();
}

std::string Verdict::summary() const {
  std::ostringstream out;
  out << "sent " << sent << ", acknowledged " << acknowledged << ", unacknowledged " << unacknowledged << " ("
      << unacknowledged_counted << " of them counted once: Kafka had them), counted " << counted
      << ", in ingest's ledger " << ledger << "; "
      << cells_checked << " (tenant, day, type) counts and " << learners_checked << " learner summaries compared";
  if (!problems.empty()) {
    out << "; " << problems.size() << " problem(s):";
    for (std::size_t i = 0; i < std::min<std::size_t>(problems.size(), 25); ++i) out << "\n  " << problems[i];
  }
  return out.str();
}

Verdict verify_exactly_once(const std::vector<const PublishRun*>& runs, const VerifyTarget& target) {
  Verdict verdict;
  auto problem = [&](std::string text) {
    if (verdict.problems.size() < 200) verdict.problems.push_back(std::move(text));
  };

  // The ledger first: whatever it holds was on Kafka before this snapshot of the counts.
  const std::set<Key> ledger = read_ledger(target.ingest_database_url);
  const DatabaseSnapshot db = read_snapshot(target.analytics_database_url);
  verdict.counted = db.processed.size();
  verdict.ledger = ledger.size();
  std::size_t reported = 0;
  for (const auto& key : ledger) {
    if (db.processed.count(key) == 0 && reported++ < 5) {
      problem("ingest's ledger has " + key.first + "/" + key.second + " (Kafka acknowledged it) but it is not counted");
    }
  }

  // Every event the runs know, and what the client knows about it.
  e2e::Expectations acknowledged;   // lower bound: the acknowledged events
  e2e::Expectations sent;           // upper bound: every event sent
  e2e::Expectations counted;        // exact: the events analytics says it counted
  std::set<Key> known;
  std::set<std::string> tenants;
  std::set<std::pair<std::string, std::string>> learners;
  std::string first_day = "9999-12-31";
  std::string last_day = "0000-01-01";
  std::size_t counted_with_learner = 0;
  for (const PublishRun* run : runs) {
    for (std::size_t i = 0; i < run->events().size(); ++i) {
      const auto& event = run->events()[i];
      const Key key{event.tenant(), lower(event.id())};
      known.insert(key);
      tenants.insert(event.tenant());
      if (!event.subject().learner_id().empty()) learners.emplace(event.tenant(), event.subject().learner_id());
      first_day = std::min(first_day, day_of(event));
      last_day = std::max(last_day, day_of(event));
      const EventState state = run->state(i);
      const bool in_db = db.processed.count(key) != 0;
      if (state == EventState::kNotSent) {
        if (in_db) problem("event " + event.id() + " of " + event.tenant() + " was never sent but is counted");
        continue;
      }
      ++verdict.sent;
      e2e::count_event(sent, event);
      if (state == EventState::kAcknowledged) {
        ++verdict.acknowledged;
        e2e::count_event(acknowledged, event);
        if (!in_db) {
          problem("acknowledged event " + event.id() + " of " + event.tenant() + " (" + event.type() +
                  ") is not counted (lost)");
        }
        if (target.ledger_complete && ledger.count(key) == 0) {
          problem("acknowledged event " + event.id() + " of " + event.tenant() + " is not in ingest's ledger");
        }
      } else {
        ++verdict.unacknowledged;
        if (in_db) ++verdict.unacknowledged_counted;
      }
      if (in_db) {
        e2e::count_event(counted, event);
        if (!event.subject().learner_id().empty()) ++counted_with_learner;
      }
    }
  }
  std::size_t strangers = 0;
  for (const auto& key : db.processed) {
    if (known.count(key) == 0 && strangers++ < 5) {
      problem("processed_events has " + key.first + "/" + key.second + ", which no run sent");
    }
  }

  // What was counted is what was acknowledged plus what Kafka had of the rest, nothing else.
  if (verdict.counted != verdict.acknowledged + verdict.unacknowledged_counted) {
    problem("counted " + std::to_string(verdict.counted) + " events, but " + std::to_string(verdict.acknowledged) +
            " acknowledged + " + std::to_string(verdict.unacknowledged_counted) + " unacknowledged were sent");
  }

  // The counters hold each processed event once, no more, no less.
  if (db.event_counts_sum != static_cast<std::int64_t>(db.processed.size())) {
    problem("sum(event_counts.count) = " + std::to_string(db.event_counts_sum) + " but processed_events has " +
            std::to_string(db.processed.size()) + " rows");
  }
  if (db.learner_totals_sum != static_cast<std::int64_t>(counted_with_learner) ||
      db.learner_type_counts_sum != static_cast<std::int64_t>(counted_with_learner)) {
    problem("learner counters: sum(total_events) = " + std::to_string(db.learner_totals_sum) +
            ", sum(learner_type_counts) = " + std::to_string(db.learner_type_counts_sum) + ", but " +
            std::to_string(counted_with_learner) + " counted events have a learner");
  }

  // The API, per tenant and (day, type): within the bounds, and exactly the processed events.
  auto channel = channel_to(target.analytics_grpc_port);
  auto analytics = analytics::v1::AnalyticsService::NewStub(channel);
  for (const auto& tenant : tenants) {
    analytics::v1::GetEventCountsRequest request;
    request.set_from_day(first_day);
    request.set_to_day(last_day);
    ::grpc::ClientContext context;
    with_deadline(context, tenant);
    analytics::v1::GetEventCountsResponse response;
    const auto status = analytics->GetEventCounts(&context, request, &response);
    if (!status.ok()) {
      problem("GetEventCounts(" + tenant + "): " + std::to_string(status.error_code()) + " " + status.error_message());
      continue;
    }
    std::map<e2e::DayType, std::uint64_t> got;
    std::uint64_t sum = 0;
    for (const auto& c : response.counts()) {
      got[{c.day(), c.type()}] += c.count();
      sum += c.count();
    }
    if (sum != response.total()) problem("GetEventCounts(" + tenant + "): total " + std::to_string(response.total()) +
                                         " is not the sum of its rows " + std::to_string(sum));
    std::set<e2e::DayType> cells;
    for (const auto* source : {&acknowledged, &sent, &counted}) {
      if (auto it = source->counts.find(tenant); it != source->counts.end()) {
        for (const auto& [cell, n] : it->second) cells.insert(cell);
      }
    }
    for (const auto& [cell, n] : got) cells.insert(cell);
    auto at = [&](const e2e::Expectations& e, const e2e::DayType& cell) -> std::uint64_t {
      auto t = e.counts.find(tenant);
      if (t == e.counts.end()) return 0;
      auto c = t->second.find(cell);
      return c == t->second.end() ? 0 : c->second;
    };
    for (const auto& cell : cells) {
      ++verdict.cells_checked;
      const auto g = got.count(cell) != 0 ? got.at(cell) : 0;
      const auto low = at(acknowledged, cell);
      const auto high = at(sent, cell);
      const auto exact = at(counted, cell);
      const std::string where = tenant + " " + cell.first + " " + cell.second + ": ";
      if (g < low) problem(where + "count " + std::to_string(g) + " < " + std::to_string(low) + " acknowledged (lost)");
      if (g > high) {
        problem(where + "count " + std::to_string(g) + " > " + std::to_string(high) + " sent (counted twice)");
      }
      if (g != exact) {
        problem(where + "count " + std::to_string(g) + " != " + std::to_string(exact) +
                " = the processed events of this cell");
      }
    }
  }

  // Every learner's summary.
  for (const auto& [tenant, learner] : learners) {
    ++verdict.learners_checked;
    analytics::v1::GetLearnerSummaryRequest request;
    request.set_learner_id(learner);
    ::grpc::ClientContext context;
    with_deadline(context, tenant);
    analytics::v1::LearnerSummary got;
    const auto status = analytics->GetLearnerSummary(&context, request, &got);
    const std::string who = "learner " + tenant + "/" + learner + ": ";
    const auto it = counted.learners.find({tenant, learner});
    if (it == counted.learners.end()) {
      if (status.error_code() != ::grpc::StatusCode::NOT_FOUND) {
        problem(who + "none of its events is counted, expected NOT_FOUND, got " + std::to_string(status.error_code()));
      }
      continue;
    }
    if (!status.ok()) {
      problem(who + "GetLearnerSummary: " + std::to_string(status.error_code()) + " " + status.error_message());
      continue;
    }
    const auto& want = it->second;
    std::map<std::string, std::uint64_t> by_type(got.events_by_type().begin(), got.events_by_type().end());
    std::ostringstream diff;
    if (got.total_events() != want.total_events) diff << " total " << got.total_events() << " != " << want.total_events;
    if (by_type != want.events_by_type) diff << " events_by_type differ";
    if (got.first_seen().seconds() != want.first_seen) diff << " first_seen differs";
    if (got.last_seen().seconds() != want.last_seen) diff << " last_seen differs";
    if (got.quiz_submissions() != want.quiz_submissions) {
      diff << " quiz_submissions " << got.quiz_submissions() << " != " << want.quiz_submissions;
    }
    const double average = want.quiz_average_percent();
    if (std::abs(got.quiz_average_percent() - average) > 1e-9 * std::max(1.0, std::abs(average))) {
      diff << " quiz_average_percent " << got.quiz_average_percent() << " != " << average;
    }
    if (got.tutoring_sessions_completed() != want.tutoring_sessions_completed) diff << " tutoring_sessions_completed differ";
    if (got.ib_calls() != want.ib_calls) diff << " ib_calls " << got.ib_calls() << " != " << want.ib_calls;
    if (!diff.str().empty()) problem(who + diff.str());
  }
  return verdict;
}

}  // namespace edfleet::faults
