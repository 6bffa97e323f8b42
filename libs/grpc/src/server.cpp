#include "edfleet/grpc/server.h"

#include "identity_interceptor.h"

#include <mutex>
#include <stdexcept>

#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "call_observer.h"
#include "edfleet/core/log.h"

namespace edfleet::grpc {
namespace {

std::string listen_address(const std::string& host, int port) {
  // IPv6 literals need brackets in a gRPC address.
  bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// gRPC's own diagnostics (e.g. "Address already in use") as JSON log lines like everything else.
void log_grpc_message(gpr_log_func_args* args) {
  auto level = core::log::Level::kDebug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) {
    level = core::log::Level::kError;
  } else if (args->severity == GPR_LOG_SEVERITY_INFO) {
    level = core::log::Level::kInfo;
  }
  core::log::write(level, "grpc runtime",
                   {{"detail", args->message ? args->message : ""},
                    {"source", std::string(args->file ? args->file : "") + ":" + std::to_string(args->line)}});
}

}  // namespace

Server::Server(std::shared_ptr<prometheus::Registry> registry, ServerOptions options)
    : registry_(std::move(registry)), options_(options) {
  if (!registry_) throw std::invalid_argument("grpc::Server needs a registry");
}

Server::~Server() {
  if (server_ && !shut_down_) shutdown(std::chrono::system_clock::now());
}

void Server::add_service(::grpc::Service* service, std::string health_name) {
  if (server_) throw std::logic_error("grpc::Server::add_service after start");
  services_.emplace_back(service, std::move(health_name));
}

int Server::start(const std::string& host, int port) {
  if (server_) throw std::runtime_error("grpc::Server::start called twice");
  // Both are process-wide switches read by ServerBuilder; the reflection plugin must be registered
  // once only.
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_function(&log_grpc_message);
    ::grpc::EnableDefaultHealthCheckService(true);
    ::grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  });

  ::grpc::ServerBuilder builder;
  std::string address = listen_address(host, port);
  int selected = 0;
  builder.AddListeningPort(address, ::grpc::InsecureServerCredentials(), &selected);
  // gRPC sets SO_REUSEPORT by default on Linux, which lets a second process bind the same port and
  // silently take half the calls; a port clash must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  for (auto& [service, name] : services_) builder.RegisterService(service);

  std::vector<std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<detail::CallObserverFactory>(*registry_));
  // Received metadata passes the interceptors in reverse order: registered last, the identity check
  // runs first, so the call observer logs only a verified tenant.
  interceptors.push_back(std::make_unique<detail::IdentityInterceptorFactory>(options_.identity_verifier));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  server_ = builder.BuildAndStart();
  if (!server_ || selected == 0) {
    server_.reset();
    throw std::runtime_error("cannot listen for gRPC on " + address);
  }
  port_ = selected;
  // Not ready until the owner says so (see set_serving).
  if (auto* health = server_->GetHealthCheckService()) {
    for (auto& [service, name] : services_) {
      if (!name.empty()) health->SetServingStatus(name, false);
    }
    health->SetServingStatus(false);
  }
  return port_;
}

void Server::set_serving(bool serving) {
  if (!server_ || shut_down_) return;
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(serving);
}

void Server::shutdown(std::chrono::system_clock::time_point deadline) {
  if (!server_ || shut_down_) return;
  shut_down_ = true;
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
  server_->Shutdown(deadline);
  server_->Wait();
}

}  // namespace edfleet::grpc
