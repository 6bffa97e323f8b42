// An edfleet::grpc::Server on loopback with a test implementation of RulesService.
#include "edfleet/testing/wait.h"
#include "edfleet/grpc/server.h"

#include <atomic>
#include <future>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <prometheus/text_serializer.h>

#include "edfleet/grpc/health_client.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"
#include "edfleet/rules/v1/rules.grpc.pb.h"

namespace rules = edfleet::rules::v1;
using edfleet::grpc::ServingStatus;

namespace {

const std::string kSecret(48, 'k');

const edfleet::identity::IdentitySigner& test_signer() {
  static const edfleet::identity::IdentitySigner signer(kSecret, edfleet::core::SystemClock::instance(),
                                                        std::chrono::seconds(60));
  return signer;
}

const edfleet::identity::IdentityVerifier& test_verifier() {
  static const edfleet::identity::IdentityVerifier verifier({kSecret}, edfleet::core::SystemClock::instance(),
                                                            std::chrono::seconds(60));
  return verifier;
}

// The one polling wait of the test suite (libs/testing), under this file's name.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return edfleet::testing::wait_until(condition, timeout);
}

class TestRules final : public rules::RulesService::Service {
 public:
  ::grpc::Status GetRule(::grpc::ServerContext* context, const rules::RuleRef* request, rules::Rule*) override {
    seen_tenant = edfleet::grpc::metadata_value(*context, edfleet::grpc::kTenantKey);
    seen_roles = edfleet::grpc::metadata_value(*context, edfleet::grpc::kRolesKey);
    auto tenant = edfleet::grpc::caller_tenant(*context);
    seen_refusal = tenant.ok() ? std::string() : tenant.error().message;
    seen_trace_id = edfleet::grpc::trace_id(*context);
    return edfleet::grpc::to_status(edfleet::core::Error::not_found("no rule " + request->id()));
  }

  // Blocks until released, to observe draining.
  ::grpc::Status ListRules(::grpc::ServerContext*, const rules::ListRulesRequest*,
                           rules::ListRulesResponse* response) override {
    in_flight = true;
    release.get_future().wait();
    response->add_rules()->set_id("r-1");
    return ::grpc::Status::OK;
  }

  ::grpc::Status ValidateRule(::grpc::ServerContext*, const rules::ValidateRuleRequest*,
                              rules::ValidateRuleResponse* response) override {
    response->set_valid(true);
    return ::grpc::Status::OK;
  }

  std::string seen_tenant;
  std::string seen_roles;
  std::string seen_refusal;
  std::string seen_trace_id;
  std::atomic<bool> in_flight{false};
  std::promise<void> release;
};

std::shared_ptr<::grpc::Channel> channel_to(int port) {
  return ::grpc::CreateChannel("127.0.0.1:" + std::to_string(port), ::grpc::InsecureChannelCredentials());
}

std::string scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// Asks grpc.reflection.v1alpha.ServerReflection to list the services (a bidi stream, driven through
// a generic stub because gRPC does not ship the reflection stubs as headers) and returns the raw
// response bytes.
std::string reflection_list_services(const std::shared_ptr<::grpc::Channel>& channel) {
  ::grpc::GenericStub stub(channel);
  ::grpc::CompletionQueue cq;
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto step = [&cq](void* expected) {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && tag == expected && ok;
  };
  int tags[5];
  call->StartCall(&tags[0]);
  if (!step(&tags[0])) return {};
  // ServerReflectionRequest { string list_services = 7; } with an empty value.
  std::string request_bytes("\x3a\x00", 2);
  ::grpc::Slice slice(request_bytes);
  ::grpc::ByteBuffer request(&slice, 1);
  call->Write(request, &tags[1]);
  if (!step(&tags[1])) return {};
  ::grpc::ByteBuffer response;
  call->Read(&response, &tags[2]);
  bool read_ok = step(&tags[2]);
  call->WritesDone(&tags[3]);
  step(&tags[3]);
  ::grpc::Status status;
  call->Finish(&status, &tags[4]);
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok) && tag != &tags[4]) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!read_ok) return {};
  std::vector<::grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return {};
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

}  // namespace

TEST_CASE("server reflection lists the registered services") {
  auto registry = std::make_shared<prometheus::Registry>();
  TestRules service;
  edfleet::grpc::Server server(registry);
  server.add_service(&service);
  int port = server.start("127.0.0.1", 0);
  auto listed = reflection_list_services(channel_to(port));
  CHECK_THAT(listed, Catch::Contains("edfleet.rules.v1.RulesService"));
  CHECK_THAT(listed, Catch::Contains("grpc.health.v1.Health"));
  server.shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

TEST_CASE("health is NOT_SERVING after start and follows set_serving, overall and per service") {
  auto registry = std::make_shared<prometheus::Registry>();
  TestRules service;
  edfleet::grpc::Server server(registry);
  server.add_service(&service, rules::RulesService::service_full_name());
  int port = server.start("127.0.0.1", 0);
  REQUIRE(port > 0);
  CHECK(server.port() == port);
  auto channel = channel_to(port);

  auto before = edfleet::grpc::check_health(channel);
  REQUIRE(before.status.ok());
  CHECK(before.serving == ServingStatus::kNotServing);

  server.set_serving(true);
  CHECK(edfleet::grpc::check_health(channel).serving_ok());
  CHECK(edfleet::grpc::check_health(channel, rules::RulesService::service_full_name()).serving_ok());

  auto unknown = edfleet::grpc::check_health(channel, "no.such.Service");
  CHECK(unknown.status.error_code() == ::grpc::StatusCode::NOT_FOUND);

  server.set_serving(false);
  CHECK(edfleet::grpc::check_health(channel).serving == ServingStatus::kNotServing);
  CHECK(edfleet::grpc::check_health(channel, rules::RulesService::service_full_name()).serving ==
        ServingStatus::kNotServing);
  server.shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

TEST_CASE("calls carry tenant and trace id to the handler and are counted per method and code") {
  auto registry = std::make_shared<prometheus::Registry>();
  TestRules service;
  edfleet::grpc::Server server(registry, {.identity_verifier = &test_verifier()});
  server.add_service(&service);
  int port = server.start("127.0.0.1", 0);
  server.set_serving(true);
  auto stub = rules::RulesService::NewStub(channel_to(port));

  ::grpc::ClientContext context;
  edfleet::grpc::set_caller(context, test_signer(), {"acme", "user-7", "admin"});
  edfleet::grpc::set_traceparent(
      context, edfleet::grpc::format_traceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"));
  rules::RuleRef ref;
  ref.set_id("r-404");
  rules::Rule rule;
  auto status = stub->GetRule(&context, ref, &rule);
  CHECK(status.error_code() == ::grpc::StatusCode::NOT_FOUND);
  CHECK(status.error_message() == "no rule r-404");
  CHECK(service.seen_tenant == "acme");
  CHECK(service.seen_trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");

  for (int i = 0; i < 2; ++i) {
    ::grpc::ClientContext ok_context;
    rules::ValidateRuleResponse response;
    REQUIRE(stub->ValidateRule(&ok_context, rules::ValidateRuleRequest(), &response).ok());
  }

  auto text = scrape(*registry);
  CHECK_THAT(text, Catch::Contains(
                       "edfleet_grpc_server_handled_total{code=\"NOT_FOUND\",method=\"/edfleet.rules.v1."
                       "RulesService/GetRule\"} 1"));
  CHECK_THAT(text, Catch::Contains(
                       "edfleet_grpc_server_handled_total{code=\"OK\",method=\"/edfleet.rules.v1."
                       "RulesService/ValidateRule\"} 2"));
  CHECK_THAT(text, Catch::Contains(
                       "edfleet_grpc_server_handling_seconds_count{method=\"/edfleet.rules.v1."
                       "RulesService/ValidateRule\"} 2"));
  server.shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

TEST_CASE("shutdown drains an in-flight call before returning") {
  auto registry = std::make_shared<prometheus::Registry>();
  TestRules service;
  edfleet::grpc::Server server(registry);
  server.add_service(&service);
  int port = server.start("127.0.0.1", 0);
  server.set_serving(true);
  auto stub = rules::RulesService::NewStub(channel_to(port));

  auto call = std::async(std::launch::async, [&] {
    ::grpc::ClientContext context;
    rules::ListRulesResponse response;
    auto status = stub->ListRules(&context, rules::ListRulesRequest(), &response);
    return std::make_pair(status.error_code(), response.rules_size());
  });
  REQUIRE(eventually([&] { return service.in_flight.load(); }));

  std::atomic<bool> shutdown_returned{false};
  std::thread stopper([&] {
    server.shutdown(std::chrono::system_clock::now() + std::chrono::seconds(20));
    shutdown_returned = true;
  });
  // New calls are refused while the old one is still running...
  REQUIRE(eventually([&] {
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    rules::ValidateRuleResponse response;
    return !stub->ValidateRule(&context, rules::ValidateRuleRequest(), &response).ok();
  }));
  CHECK_FALSE(shutdown_returned.load());

  // ...and it completes normally once its handler finishes.
  service.release.set_value();
  auto [code, rules_returned] = call.get();
  CHECK(code == ::grpc::StatusCode::OK);
  CHECK(rules_returned == 1);
  stopper.join();
  CHECK(shutdown_returned.load());
}

TEST_CASE("requests above the maximum message size are refused") {
  auto registry = std::make_shared<prometheus::Registry>();
  TestRules service;
  edfleet::grpc::ServerOptions options;
  options.max_message_bytes = 1024;
  edfleet::grpc::Server server(registry, options);
  server.add_service(&service);
  int port = server.start("127.0.0.1", 0);
  auto stub = rules::RulesService::NewStub(channel_to(port));

  ::grpc::ClientContext context;
  rules::ValidateRuleRequest request;
  request.set_source(std::string(4096, 'x'));
  rules::ValidateRuleResponse response;
  auto status = stub->ValidateRule(&context, request, &response);
  CHECK(status.error_code() == ::grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_CASE("a port that is already in use is an error, not a shared port") {
  auto registry = std::make_shared<prometheus::Registry>();
  TestRules first_service;
  TestRules second_service;
  edfleet::grpc::Server first(registry);
  first.add_service(&first_service);
  int port = first.start("127.0.0.1", 0);

  edfleet::grpc::Server second(registry);
  second.add_service(&second_service);
  CHECK_THROWS_AS(second.start("127.0.0.1", port), std::runtime_error);
}

namespace {

// Calls GetRule with `decorate` applied to the context; returns what the handler saw.
struct Seen {
  std::string tenant;
  std::string roles;
  std::string refusal;
};
Seen call_with(const std::function<void(::grpc::ClientContext&)>& decorate,
               const edfleet::identity::IdentityVerifier* verifier = &test_verifier()) {
  auto registry = std::make_shared<prometheus::Registry>();
  TestRules service;
  edfleet::grpc::Server server(registry, {.identity_verifier = verifier});
  server.add_service(&service);
  int port = server.start("127.0.0.1", 0);
  auto stub = rules::RulesService::NewStub(channel_to(port));
  ::grpc::ClientContext context;
  decorate(context);
  rules::RuleRef ref;
  ref.set_id("r-1");
  rules::Rule rule;
  (void)stub->GetRule(&context, ref, &rule);
  server.shutdown(std::chrono::system_clock::now());
  return {service.seen_tenant, service.seen_roles, service.seen_refusal};
}

}  // namespace

TEST_CASE("identity: an unsigned tenant never reaches a handler", "[security]") {
  auto seen = call_with([](::grpc::ClientContext& context) { context.AddMetadata("x-edfleet-tenant", "beta"); });
  CHECK(seen.tenant.empty());
  CHECK(seen.refusal.find("caller identity refused") != std::string::npos);
  CHECK(seen.refusal.find("x-edfleet-identity") != std::string::npos);
}

TEST_CASE("identity: a signature of another secret, or of another tenant, is refused", "[security]") {
  const edfleet::identity::IdentitySigner forger(std::string(48, 'f'), edfleet::core::SystemClock::instance(),
                                                 std::chrono::seconds(60));
  auto forged = call_with([&](::grpc::ClientContext& context) { edfleet::grpc::set_caller(context, forger, {"beta"}); });
  CHECK(forged.tenant.empty());
  CHECK_FALSE(forged.refusal.empty());
  // A genuine signature for alpha, presented with tenant beta.
  auto swapped = call_with([](::grpc::ClientContext& context) {
    context.AddMetadata("x-edfleet-tenant", "beta");
    context.AddMetadata("x-edfleet-identity", test_signer().sign({"alpha", "", ""}));
  });
  CHECK(swapped.tenant.empty());
  CHECK_FALSE(swapped.refusal.empty());
  // Roles added beside a genuine signature.
  auto escalated = call_with([](::grpc::ClientContext& context) {
    edfleet::grpc::set_caller(context, test_signer(), {"alpha", "key:1", "lrs_reader"});
    context.AddMetadata("x-edfleet-roles", "admin");
  });
  CHECK(escalated.tenant.empty());
  CHECK(escalated.roles.empty());
}

TEST_CASE("identity: a second tenant beside a signed one is refused, not resolved by order", "[security]") {
  auto seen = call_with([](::grpc::ClientContext& context) {
    context.AddMetadata("x-edfleet-tenant", "beta");
    edfleet::grpc::set_caller(context, test_signer(), {"alpha"});
  });
  CHECK(seen.tenant.empty());
  CHECK(seen.refusal.find("more than once") != std::string::npos);
}

TEST_CASE("identity: a client cannot plant the interceptor's refusal marker or a bare signature", "[security]") {
  auto seen = call_with([](::grpc::ClientContext& context) {
    context.AddMetadata("x-edfleet-identity-rejected", "planted");
    edfleet::grpc::set_caller(context, test_signer(), {"alpha"});
  });
  CHECK(seen.tenant.empty());
  CHECK(seen.refusal.find("planted") == std::string::npos);
  CHECK(seen.refusal.find("no caller tenant") != std::string::npos);
}

TEST_CASE("identity: a server without a verifier accepts no identity at all", "[security]") {
  auto seen = call_with([](::grpc::ClientContext& context) { edfleet::grpc::set_caller(context, test_signer(), {"alpha"}); },
                        nullptr);
  CHECK(seen.tenant.empty());
  CHECK(seen.refusal.find("accepts no caller identity") != std::string::npos);
}

TEST_CASE("identity: a signed identity passes whole") {
  auto seen = call_with([](::grpc::ClientContext& context) {
    edfleet::grpc::set_caller(context, test_signer(), {"alpha", "key:1", "lrs_reader,lrs_writer"});
  });
  CHECK(seen.tenant == "alpha");
  CHECK(seen.roles == "lrs_reader,lrs_writer");
  CHECK(seen.refusal.empty());
}
