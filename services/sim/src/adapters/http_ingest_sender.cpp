#include "adapters/http_ingest_sender.h"

#include <stdexcept>

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "adapters/grpc_ingest_sender.h"
#include "adapters/jsonl.h"

namespace edfleet::sim {

namespace {

std::pair<std::string, int> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("not host:port: " + address);
  return {address.substr(0, colon), std::stoi(address.substr(colon + 1))};
}

}  // namespace

HttpIngestSender::HttpIngestSender(const std::string& address, std::chrono::milliseconds timeout,
                                   identity::IdentitySigner signer)
    : signer_(std::move(signer)) {
  const auto [host, port] = split_address(address);
  client_ = std::make_unique<httplib::Client>(host, port);
  client_->set_keep_alive(true);
  client_->set_connection_timeout(std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
                                  (timeout.count() % 1000) * 1000);
  client_->set_read_timeout(timeout);
  client_->set_write_timeout(timeout);
}

HttpIngestSender::~HttpIngestSender() = default;

bool HttpIngestSender::healthy() {
  auto response = client_->Get("/healthz");
  return response && response->status == 200;
}

SendResult HttpIngestSender::send(const std::vector<events::v1::Event>& events, const std::string& tenant) {
  std::string body = "[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) body += ',';
    body += to_json(events[i]);
  }
  body += ']';
  httplib::Headers headers;
  // Without a tenant, an internal service publishing for the tenants its events name.
  const identity::CallerIdentity caller{tenant, std::string(kSimPrincipal), ""};
  if (!tenant.empty()) headers.emplace("X-Edfleet-Tenant", tenant);
  headers.emplace("X-Edfleet-Principal", caller.principal);
  headers.emplace("X-Edfleet-Identity", signer_.sign(caller));
  auto response = client_->Post("/v1/events", headers, body, "application/json");
  if (!response) return {false, "HTTP: " + httplib::to_string(response.error()), {}};
  if (response->status != 200 && response->status != 503) {
    return {false, "HTTP " + std::to_string(response->status) + ": " + response->body.substr(0, 200), {}};
  }
  ingest::v1::PublishResponse parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(response->body, &parsed);
  if (!status.ok()) return {false, "HTTP " + std::to_string(response->status) + ": unreadable answer", {}};
  return to_send_result(parsed);
}

}  // namespace edfleet::sim
