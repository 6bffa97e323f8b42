// GatewayAdmin through a real gRPC call (in-process channel, no ports): the handler with the
// domain's key service over an in-memory store, and the roles a caller may grant to a new key.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "domain/access_policy.h"
#include "domain/api_keys.h"
#include "domain/authenticator.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/log.h"
#include "fake_key_store.h"
#include "transport/gateway_admin_handler.h"

using namespace edfleet;
using namespace edfleet::gateway;

namespace {

// The defaults' shape, except that operators may manage keys too: the configuration in which a
// narrower role can reach CreateApiKey and try to mint a wider key.
AccessPolicy operators_manage_keys() {
  auto policy = AccessPolicy::create({{"admin", {"*"}},
                                      {"operator", {"/edfleet.analytics.v1.AnalyticsService/*",
                                                    "/edfleet.gateway.v1.GatewayAdmin/*"}},
                                      {"educator", {"/edfleet.analytics.v1.AnalyticsService/GetEventCounts"}},
                                      {"service", {"/edfleet.ingest.v1.IngestService/*"}}});
  REQUIRE(policy.ok());
  return std::move(policy).value();
}

// GatewayAdmin served in-process over a fake key store, with one admin and one operator key.
struct AdminServer {
  AdminServer() {
    core::log::init("gateway", "off");  // refusals and creations are logged; not the test's output
    ::grpc::ServerBuilder builder;
    builder.RegisterService(&handler);
    server = builder.BuildAndStart();
    REQUIRE(server);
    stub = v1::GatewayAdmin::NewStub(server->InProcessChannel(::grpc::ChannelArguments()));
    admin_key = keys.create("acme", "admin", {"admin"})->key;
    operator_key = keys.create("acme", "operator", {"operator"})->key;
  }
  ~AdminServer() { server->Shutdown(); }

  // Calls CreateApiKey as the holder of `key`.
  ::grpc::Status create(const std::string& key, std::vector<std::string> roles,
                        v1::CreateApiKeyResponse* response = nullptr) {
    ::grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + key);
    v1::CreateApiKeyRequest request;
    request.set_name("made by a test");
    for (auto& role : roles) request.add_roles(std::move(role));
    v1::CreateApiKeyResponse ignored;
    return stub->CreateApiKey(&context, request, response != nullptr ? response : &ignored);
  }

  core::ManualClock clock{core::Timestamp(std::chrono::seconds(1'700'000'000))};
  testing::FakeKeyStore store;
  testing::CountingSecrets secrets;
  ApiKeyService keys{store, secrets, clock};
  CachingKeyLookup lookup{store, clock, {}};
  Authenticator authenticator{&lookup, nullptr, JwtPolicy{}, clock};
  AccessPolicy policy = operators_manage_keys();
  GatewayAdminHandler handler{&keys, authenticator, policy};
  std::unique_ptr<::grpc::Server> server;
  std::unique_ptr<v1::GatewayAdmin::Stub> stub;
  std::string admin_key;
  std::string operator_key;
};

}  // namespace

TEST_CASE("CreateApiKey refuses roles beyond the caller's own (privilege escalation)") {
  AdminServer s;
  const std::size_t keys_before = s.keys.list("acme")->size();

  // The attack: an operator, allowed to call CreateApiKey, asks for an admin key.
  auto escalation = s.create(s.operator_key, {"operator", "admin"});
  CHECK(escalation.error_code() == ::grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(escalation.error_message(), Catch::Contains("cannot grant role admin"));
  // Or a role that reaches a service it cannot call itself.
  auto sideways = s.create(s.operator_key, {"service"});
  CHECK(sideways.error_code() == ::grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(sideways.error_message(), Catch::Contains("cannot grant role service"));
  CHECK(s.keys.list("acme")->size() == keys_before);  // nothing was minted

  // A role the policy does not know is an invalid request, named.
  auto unknown = s.create(s.operator_key, {"root"});
  CHECK(unknown.error_code() == ::grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(unknown.error_message(), Catch::Contains("'root'"));

  // Within the caller's reach it works: its own role, a narrower one; an admin grants anything.
  v1::CreateApiKeyResponse created;
  REQUIRE(s.create(s.operator_key, {"operator", "educator"}, &created).ok());
  CHECK(created.key().roles_size() == 2);
  REQUIRE(s.create(s.admin_key, {"admin", "service"}).ok());
  CHECK(s.keys.list("acme")->size() == keys_before + 2);
}
