#include "transport/summaries_service_handler.h"

#include <string>
#include <string_view>

namespace edfleet::summaries {
namespace {

::grpc::Status not_yet(std::string_view method) {
  return {::grpc::StatusCode::UNIMPLEMENTED,
          std::string(v1::SummariesService::service_full_name()) + "/" + std::string(method) +
              " is not implemented yet: session summaries and predictions arrive with a later issue"};
}

}  // namespace

::grpc::Status SummariesServiceHandler::SummarizeSession(::grpc::ServerContext*, const v1::SummarizeSessionRequest*,
                                                         v1::Insight*) {
  return not_yet("SummarizeSession");
}

::grpc::Status SummariesServiceHandler::Predict(::grpc::ServerContext*, const v1::PredictRequest*,
                                                v1::Insight*) {
  return not_yet("Predict");
}

::grpc::Status SummariesServiceHandler::GetInsight(::grpc::ServerContext*, const v1::GetInsightRequest*,
                                                   v1::Insight*) {
  return not_yet("GetInsight");
}

::grpc::Status SummariesServiceHandler::ListInsights(::grpc::ServerContext*, const v1::ListInsightsRequest*,
                                                     v1::ListInsightsResponse*) {
  return not_yet("ListInsights");
}

}  // namespace edfleet::summaries
