// `edfleet query counts|learner`: AnalyticsService calls rendered as tables (or JSON).
#include <iostream>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "commands.h"
#include "edfleet/analytics/v1/analytics.grpc.pb.h"
#include "report.h"
#include "rpc.h"

namespace edfleet::cli {

namespace {

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.always_print_primitive_fields = true;
  print.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, print);
  if (!status.ok()) return "{}\n";
  return json;
}

std::string timestamp_text(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return {};
  return google::protobuf::util::TimeUtil::ToString(ts);
}

}  // namespace

int run_query_counts(const QueryCountsOptions& options, std::ostream& out, std::ostream& err) {
  auto address = resolve_address("analytics", options.analytics, options.endpoints_file);
  auto stub = analytics::v1::AnalyticsService::NewStub(open_channel(address.address));
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);

  analytics::v1::GetEventCountsRequest request;
  request.set_from_day(options.from_day);
  request.set_to_day(options.to_day);
  for (const auto& type : options.types) request.add_types(type);
  analytics::v1::GetEventCountsResponse response;
  auto context = call_context(timeout, options.tenant, options.endpoints_file);
  auto status = stub->GetEventCounts(context.get(), request, &response);
  if (!status.ok()) {
    err << "edfleet query: " << describe_call_failure("analytics", address, status, timeout) << "\n";
    return kExitFailure;
  }
  if (options.json) {
    out << to_json(response);
    return kExitOk;
  }
  std::vector<CountRow> rows;
  rows.reserve(static_cast<std::size_t>(response.counts_size()));
  for (const auto& count : response.counts()) rows.push_back({count.day(), count.type(), count.count()});
  out << render_counts(rows, response.total());
  return kExitOk;
}

int run_query_learner(const QueryLearnerOptions& options, std::ostream& out, std::ostream& err) {
  auto address = resolve_address("analytics", options.analytics, options.endpoints_file);
  auto stub = analytics::v1::AnalyticsService::NewStub(open_channel(address.address));
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);

  analytics::v1::GetLearnerSummaryRequest request;
  request.set_learner_id(options.learner_id);
  analytics::v1::LearnerSummary response;
  auto context = call_context(timeout, options.tenant, options.endpoints_file);
  auto status = stub->GetLearnerSummary(context.get(), request, &response);
  if (status.error_code() == ::grpc::StatusCode::NOT_FOUND) {
    err << "edfleet query: no events for learner " << options.learner_id << " in tenant " << options.tenant << "\n";
    return kExitFailure;
  }
  if (!status.ok()) {
    err << "edfleet query: " << describe_call_failure("analytics", address, status, timeout) << "\n";
    return kExitFailure;
  }
  if (options.json) {
    out << to_json(response);
    return kExitOk;
  }
  LearnerView view;
  view.learner_id = response.learner_id().empty() ? options.learner_id : response.learner_id();
  view.total_events = response.total_events();
  for (const auto& [type, count] : response.events_by_type()) view.events_by_type[type] = count;
  view.first_seen = timestamp_text(response.first_seen());
  view.last_seen = timestamp_text(response.last_seen());
  view.quiz_submissions = response.quiz_submissions();
  view.quiz_average_percent = response.quiz_average_percent();
  view.tutoring_sessions_completed = response.tutoring_sessions_completed();
  view.ib_calls = response.ib_calls();
  out << render_learner(view);
  return kExitOk;
}

}  // namespace edfleet::cli
