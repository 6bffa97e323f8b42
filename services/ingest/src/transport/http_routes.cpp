#include "transport/http_routes.h"

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "adapters/proto_event_codec.h"
#include "edfleet/core/log.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"
#include "edfleet/http/caller.h"
#include "edfleet/http/status.h"
#include "transport/publishing_caller.h"

namespace edfleet::ingest {
namespace {

// Deeper JSON than this is refused before it is processed (protobuf's own parser stops at 100).
constexpr int kMaxJsonDepth = 100;

DecodedEvent reject(std::string id, std::string field, std::string message) {
  return {std::nullopt, EventOutcome::rejected(std::move(id), {RejectReason::kInvalidField, std::move(field),
                                                               std::move(message)})};
}

// Turns an xAPI statement given as a JSON object into the statementJson text the envelope carries.
// Returns an error message when the element mixes both forms or `statement` is not an object.
std::optional<std::string> inline_statement(nlohmann::json& element, std::string& field) {
  for (const char* payload_key : {"xapiStatement", "xapi_statement"}) {
    auto payload = element.find(payload_key);
    if (payload == element.end() || !payload->is_object()) continue;
    auto statement = payload->find("statement");
    if (statement == payload->end()) continue;
    field = "payload.xapi_statement.statement";
    if (payload->contains("statementJson") || payload->contains("statement_json")) {
      return "Send the xAPI statement either as statementJson (text) or as statement (a JSON object), not both.";
    }
    if (!statement->is_object()) {
      return "payload.xapi_statement.statement must be a JSON object; to send the statement as text use "
             "statementJson.";
    }
    std::string text = statement->dump();
    payload->erase("statement");
    (*payload)["statementJson"] = std::move(text);
  }
  return std::nullopt;
}

DecodedEvent decode_element(nlohmann::json& element) {
  if (!element.is_object()) {
    return reject("", "", "Each event must be a JSON object in the edfleet.events.v1.Event JSON mapping.");
  }
  std::string id;
  if (auto it = element.find("id"); it != element.end() && it->is_string()) id = it->get<std::string>();
  std::string field;
  if (auto problem = inline_statement(element, field)) return reject(id, field, *problem);

  events::v1::Event event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field is an error, not silently dropped
  const auto status = google::protobuf::util::JsonStringToMessage(element.dump(), &event, options);
  if (!status.ok()) {
    const auto message = status.message();
    return reject(id, "",
                  "The event does not match the edfleet.events.v1.Event JSON mapping: " +
                      std::string(message.data(), message.size()) + ".");
  }
  return {to_domain(event), {}};
}

void send_error(httplib::Response& res, int status, std::string_view code, const std::string& message,
                const std::string& field = {}) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  if (!field.empty()) body["error"]["field"] = field;
  res.status = status;
  res.set_content(body.dump(), "application/json");
}


// The gRPC-style name ("INVALID_ARGUMENT"), so HTTP and gRPC clients see the same codes.
std::string_view code_name(core::ErrorCode code) {
  return edfleet::grpc::status_code_name(edfleet::grpc::to_status_code(code));
}

bool is_json_content_type(const std::string& value) {
  if (value.empty()) return true;  // clients that send none: the body decides
  std::string lower;
  for (char c : value) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower.starts_with("application/json") || lower.find("+json") != std::string::npos;
}

}  // namespace

core::Result<std::vector<DecodedEvent>> decode_http_events(std::string_view body, std::size_t max_events) {
  bool too_deep = false;
  nlohmann::json root = nlohmann::json::parse(
      body,
      [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxJsonDepth) too_deep = true;
        return !too_deep;  // stop keeping values once too deep
      },
      /*allow_exceptions=*/false);
  if (too_deep) {
    return core::Error::invalid("The JSON body is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep.");
  }
  if (root.is_discarded()) {
    return core::Error::invalid("The body is not valid JSON; send one event object or an array of events.");
  }
  std::vector<DecodedEvent> events;
  if (root.is_object()) {
    events.push_back(decode_element(root));
    return events;
  }
  if (!root.is_array()) {
    return core::Error::invalid("The body must be one event (a JSON object) or an array of events.");
  }
  if (root.size() > max_events) {
    return core::Error{core::ErrorCode::kTooLarge,
                       "A batch holds at most " + std::to_string(max_events) + " events; this one has " +
                           std::to_string(root.size()) + ". Split it into smaller batches.",
                       "events"};
  }
  events.reserve(root.size());
  for (auto& element : root) events.push_back(decode_element(element));
  return events;
}

void add_http_routes(httplib::Server& server, PublishHandler& handler, std::size_t max_body_bytes,
                     const identity::IdentityVerifier& verifier) {
  // httplib answers 413 itself (before reading it all) for bodies over this; the check in the
  // handler below only adds a JSON explanation for bodies that got through the transport.
  server.set_payload_max_length(max_body_bytes);
  server.Post("/v1/events", [&handler, max_body_bytes, &verifier](const httplib::Request& req, httplib::Response& res) {
    const std::string trace_id = handler.trace_id_or_new(
        [&] {
          const auto parent = edfleet::grpc::parse_traceparent(req.get_header_value("traceparent"));
          return parent ? parent->trace_id : std::string();
        }());
    core::log::TraceScope trace_scope(trace_id);
    res.set_header("X-Edfleet-Trace-Id", trace_id);
    auto caller_tenant = publishing_tenant(http::verified_caller(req, verifier));
    if (!caller_tenant) {
      send_error(res, 401, "UNAUTHENTICATED", caller_tenant.error().message);
      return;
    }
    if (req.body.size() > max_body_bytes) {
      send_error(res, 413, "RESOURCE_EXHAUSTED",
                 "The body is " + std::to_string(req.body.size()) + " bytes; the limit is " +
                     std::to_string(max_body_bytes) + ". Split the batch.");
      return;
    }
    if (!is_json_content_type(req.get_header_value("Content-Type"))) {
      send_error(res, 415, "INVALID_ARGUMENT", "Send the events as application/json.");
      return;
    }
    auto decoded = decode_http_events(req.body, handler.max_batch_events());
    if (!decoded.ok()) {
      send_error(res, http::http_status(decoded.error().code), code_name(decoded.error().code), decoded.error().message,
                 decoded.error().field);
      return;
    }
    auto result = handler.publish(std::move(decoded).value(), caller_tenant.value(), trace_id);
    if (!result.ok()) {
      send_error(res, http::http_status(result.error().code), code_name(result.error().code), result.error().message,
                 result.error().field);
      return;
    }
    bool unavailable = false;
    for (const auto& r : result->results()) unavailable |= r.reason() == v1::REJECT_REASON_UNAVAILABLE;

    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;  // every result carries every field, even false/""
    (void)google::protobuf::util::MessageToJsonString(*result, &json, options);
    res.status = unavailable ? 503 : 200;
    if (unavailable) res.set_header("Retry-After", "1");
    res.set_content(json, "application/json");
  });
}

}  // namespace edfleet::ingest
