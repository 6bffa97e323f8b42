// EventSender over HTTP: POST /v1/events with a JSON array of events (the proto3 JSON mapping), the
// tenant in X-Edfleet-Tenant, signed in X-Edfleet-Identity. 200 and 503 both carry per-event results (503 = some unavailable).
#pragma once

#include "edfleet/identity/caller_identity.h"

#include <chrono>
#include <memory>
#include <string>

#include "ports/event_sender.h"

namespace httplib {
class Client;
}

namespace edfleet::sim {

class HttpIngestSender final : public EventSender {
 public:
  // `address` is host:port of ingest's HTTP port; `signer` signs the caller identity (as for gRPC).
  HttpIngestSender(const std::string& address, std::chrono::milliseconds timeout, identity::IdentitySigner signer);
  ~HttpIngestSender() override;
  SendResult send(const std::vector<events::v1::Event>& events, const std::string& tenant) override;

  // GET /healthz answered 200 within `timeout`.
  bool healthy();

 private:
  std::unique_ptr<httplib::Client> client_;
  identity::IdentitySigner signer_;
};

}  // namespace edfleet::sim
