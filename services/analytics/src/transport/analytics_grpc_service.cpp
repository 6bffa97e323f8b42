#include "transport/analytics_grpc_service.h"

#include <chrono>
#include <exception>
#include <functional>
#include <string>

#include "edfleet/core/log.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"

namespace edfleet::analytics {

namespace {

void set_timestamp(google::protobuf::Timestamp* out, core::Timestamp t) {
  const auto micros = t.time_since_epoch().count();
  auto seconds = micros / 1000000;
  auto rest = micros % 1000000;
  if (rest < 0) {  // Timestamp nanos are never negative
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<std::int32_t>(rest * 1000));
}

// Runs a query for the caller's tenant, mapping every failure to a status.
::grpc::Status with_tenant(::grpc::ServerContext* context, std::string_view method,
                           const std::function<::grpc::Status(const std::string&)>& body) {
  // Verified by the server's identity interceptor; an unsigned or forged tenant never gets here.
  const auto tenant = grpc::caller_tenant(*context);
  if (!tenant) return grpc::to_status(tenant.error());
  try {
    return body(tenant.value());
  } catch (const StoreUnavailable& e) {
    core::log::warn("analytics store unavailable", {{"method", method}, {"error", e.what()}});
    return {::grpc::StatusCode::UNAVAILABLE, "the analytics database is unavailable; retry later"};
  } catch (const std::exception& e) {
    core::log::error("analytics query failed", {{"method", method}, {"error", e.what()}});
    return {::grpc::StatusCode::INTERNAL, "internal error"};
  }
}

}  // namespace

::grpc::Status AnalyticsGrpcService::GetEventCounts(::grpc::ServerContext* context,
                                                    const v1::GetEventCountsRequest* request,
                                                    v1::GetEventCountsResponse* response) {
  return with_tenant(context, "GetEventCounts", [&](const std::string& tenant) {
    EventCountsQuery query;
    query.from_day = request->from_day();
    query.to_day = request->to_day();
    query.types.assign(request->types().begin(), request->types().end());
    auto result = queries_.event_counts(tenant, query);
    if (!result) return grpc::to_status(result.error());
    response->mutable_counts()->Reserve(static_cast<int>(result->counts.size()));
    for (const auto& row : result->counts) {
      auto* count = response->add_counts();
      count->set_day(row.day);
      count->set_type(row.type);
      count->set_count(static_cast<std::uint64_t>(row.count));
    }
    response->set_total(result->total);
    return ::grpc::Status::OK;
  });
}

::grpc::Status AnalyticsGrpcService::GetLearnerSummary(::grpc::ServerContext* context,
                                                       const v1::GetLearnerSummaryRequest* request,
                                                       v1::LearnerSummary* response) {
  return with_tenant(context, "GetLearnerSummary", [&](const std::string& tenant) {
    auto result = queries_.learner_summary(tenant, request->learner_id());
    if (!result) return grpc::to_status(result.error());
    const auto& summary = *result;
    response->set_learner_id(summary.learner_id);
    response->set_total_events(summary.total_events);
    auto& by_type = *response->mutable_events_by_type();
    for (const auto& [type, count] : summary.events_by_type) by_type[type] = count;
    set_timestamp(response->mutable_first_seen(), summary.first_seen);
    set_timestamp(response->mutable_last_seen(), summary.last_seen);
    response->set_quiz_submissions(summary.quiz_submissions);
    response->set_quiz_average_percent(summary.quiz_average_percent);
    response->set_tutoring_sessions_completed(summary.tutoring_sessions_completed);
    response->set_ib_calls(summary.ib_calls);
    return ::grpc::Status::OK;
  });
}

::grpc::Status AnalyticsGrpcService::GetKpis(::grpc::ServerContext* /*context*/,
                                             const v1::GetKpisRequest* /*request*/,
                                             v1::GetKpisResponse* /*response*/) {
  return {::grpc::StatusCode::UNIMPLEMENTED,
          "GetKpis is not implemented yet; it comes with " + std::string(kKpisIssue)};
}

::grpc::Status AnalyticsGrpcService::QueryTimeSeries(::grpc::ServerContext* /*context*/,
                                                     const v1::QueryTimeSeriesRequest* /*request*/,
                                                     v1::TimeSeries* /*response*/) {
  return {::grpc::StatusCode::UNIMPLEMENTED,
          "QueryTimeSeries is not implemented yet; it comes with " + std::string(kKpisIssue)};
}

}  // namespace edfleet::analytics
