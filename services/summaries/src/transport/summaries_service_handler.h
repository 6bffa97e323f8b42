// SummariesService over gRPC. Until a later issue delivers summaries and predictions, every
// method answers UNIMPLEMENTED saying so, so callers get a clear answer, not a guess.
#pragma once

#include "edfleet/summaries/v1/summaries.grpc.pb.h"

namespace edfleet::summaries {

class SummariesServiceHandler final : public v1::SummariesService::Service {
 public:
  ::grpc::Status SummarizeSession(::grpc::ServerContext* context, const v1::SummarizeSessionRequest* request,
                                  v1::Insight* response) override;
  ::grpc::Status Predict(::grpc::ServerContext* context, const v1::PredictRequest* request,
                         v1::Insight* response) override;
  ::grpc::Status GetInsight(::grpc::ServerContext* context, const v1::GetInsightRequest* request,
                            v1::Insight* response) override;
  ::grpc::Status ListInsights(::grpc::ServerContext* context, const v1::ListInsightsRequest* request,
                              v1::ListInsightsResponse* response) override;
};

}  // namespace edfleet::summaries
