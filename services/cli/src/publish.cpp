// `edfleet publish`: JSON events -> edfleet.events.v1.Event -> IngestService.Publish, in batches.
#include <algorithm>
#include <iostream>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "edfleet/ingest/v1/ingest.grpc.pb.h"
#include "event_file.h"
#include "report.h"
#include "rpc.h"

namespace edfleet::cli {

namespace {

std::string reason_name(ingest::v1::RejectReason reason) {
  std::string name = ingest::v1::RejectReason_Name(reason);
  constexpr std::string_view kPrefix = "REJECT_REASON_";
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  return name.empty() ? "REJECTED" : name;
}

// The "id" the operator wrote, for messages about events that never became protos.
std::string id_in(const std::string& json) {
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_object() && parsed.contains("id") && parsed["id"].is_string()) return parsed["id"].get<std::string>();
  return {};
}

struct Pending {
  const EventText* text;
  events::v1::Event event;
};

}  // namespace

int run_publish(const PublishOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  auto input = read_input(options.file, in);
  if (!input.ok()) {
    err << "edfleet publish: " << input.error().message << "\n";
    return kExitFailure;
  }
  auto texts = split_events(*input);
  if (!texts.ok()) {
    err << "edfleet publish: " << (options.file == "-" ? std::string("stdin") : options.file) << ": "
        << texts.error().message << "\n";
    return kExitFailure;
  }

  PublishTally tally;
  auto report_rejection = [&](const EventOutcome& outcome) {
    if (!options.json) out << PublishTally::rejection_line(outcome) << "\n";
  };

  // JSON -> proto first, so a file with mistakes is reported whole before anything is sent.
  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = options.ignore_unknown_fields;
  std::vector<Pending> pending;
  pending.reserve(texts->size());
  for (const auto& text : *texts) {
    Pending p{&text, {}};
    auto status = google::protobuf::util::JsonStringToMessage(text.json, &p.event, parse_options);
    if (!status.ok()) {
      EventOutcome outcome{text.index, text.line, id_in(text.json), false, false, "NOT_AN_EVENT", "",
                           "not a valid edfleet.events.v1.Event: " + std::string(status.message())};
      report_rejection(outcome);
      tally.add(std::move(outcome));
      continue;
    }
    pending.push_back(std::move(p));
  }

  auto address = resolve_address("ingest", options.ingest, options.endpoints_file);
  auto channel = open_channel(address.address);
  auto stub = ingest::v1::IngestService::NewStub(channel);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);

  int exit_code = kExitOk;
  for (std::size_t start = 0; start < pending.size(); start += options.batch_size) {
    const std::size_t end = std::min(pending.size(), start + options.batch_size);
    ingest::v1::PublishRequest request;
    request.mutable_events()->Reserve(static_cast<int>(end - start));
    for (std::size_t i = start; i < end; ++i) *request.add_events() = pending[i].event;

    ingest::v1::PublishResponse response;
    auto context = call_context(timeout, options.tenant, options.endpoints_file);
    auto status = stub->Publish(context.get(), request, &response);
    if (!status.ok()) {
      err << "edfleet publish: " << describe_call_failure("ingest", address, status, timeout) << "\n";
      tally.set_not_sent(pending.size() - start);
      exit_code = kExitFailure;
      break;
    }
    if (static_cast<std::size_t>(response.results_size()) != end - start) {
      err << "edfleet publish: ingest answered " << response.results_size() << " results for " << end - start
          << " events; stopping\n";
      tally.set_not_sent(pending.size() - start);
      exit_code = kExitFailure;
      break;
    }
    for (std::size_t i = start; i < end; ++i) {
      const auto& result = response.results(static_cast<int>(i - start));
      const auto& text = *pending[i].text;
      EventOutcome outcome{text.index, text.line, result.id().empty() ? pending[i].event.id() : result.id(),
                           result.accepted(), result.duplicate(), "", result.field(), result.message()};
      if (!result.accepted()) {
        outcome.reason = reason_name(result.reason());
        report_rejection(outcome);
      }
      tally.add(std::move(outcome));
    }
  }

  if (options.json) {
    auto json = tally.to_json();
    out << json.dump(2) << "\n";
  } else {
    out << tally.summary() << "\n";
  }
  if (tally.rejected() > 0) exit_code = kExitFailure;
  return exit_code;
}

}  // namespace edfleet::cli
