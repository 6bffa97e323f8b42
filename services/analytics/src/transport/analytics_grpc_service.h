// AnalyticsGrpcService: edfleet.analytics.v1.AnalyticsService over the query use cases.
#pragma once

#include <string_view>

#include "domain/queries.h"
#include "edfleet/analytics/v1/analytics.grpc.pb.h"

namespace edfleet::analytics {

// The issue that will implement GetKpis and QueryTimeSeries (named in their UNIMPLEMENTED status).
// Its number is not assigned yet; put it here when it is (as rules and gateway name #6 and #4).
inline constexpr std::string_view kKpisIssue = "a later issue (analytics KPIs and time series)";

// The tenant is taken ONLY from the x-edfleet-tenant metadata (set by the gateway after it has
// authenticated the caller), never from the request. A call without it is UNAUTHENTICATED: no
// authenticated caller context reached the service, which is an identity problem rather than a bad
// request; a malformed tenant is INVALID_ARGUMENT. Domain errors map through grpc::to_status();
// StoreUnavailable is UNAVAILABLE; anything else is INTERNAL (and logged).
class AnalyticsGrpcService final : public v1::AnalyticsService::Service {
 public:
  explicit AnalyticsGrpcService(AnalyticsQueries& queries) : queries_(queries) {}

  ::grpc::Status GetEventCounts(::grpc::ServerContext* context, const v1::GetEventCountsRequest* request,
                                v1::GetEventCountsResponse* response) override;
  ::grpc::Status GetLearnerSummary(::grpc::ServerContext* context,
                                   const v1::GetLearnerSummaryRequest* request,
                                   v1::LearnerSummary* response) override;
  ::grpc::Status GetKpis(::grpc::ServerContext* context, const v1::GetKpisRequest* request,
                         v1::GetKpisResponse* response) override;
  ::grpc::Status QueryTimeSeries(::grpc::ServerContext* context, const v1::QueryTimeSeriesRequest* request,
                                 v1::TimeSeries* response) override;

 private:
  AnalyticsQueries& queries_;
};

}  // namespace edfleet::analytics
