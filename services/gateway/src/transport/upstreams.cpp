#include "transport/upstreams.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace edfleet::gateway {

Upstreams::Upstreams(std::map<std::string, std::string> addresses, Options options)
    : addresses_(std::move(addresses)), options_(options) {}

void Upstreams::set_self_address(std::function<std::string()> address) { self_address_ = std::move(address); }

std::string Upstreams::address(const std::string& name) const {
  if (name == kSelfUpstream) return self_address_ ? self_address_() : std::string();
  auto it = addresses_.find(name);
  return it == addresses_.end() ? std::string() : it->second;
}

std::vector<std::string> Upstreams::names() const {
  std::vector<std::string> out;
  for (const auto& [name, address] : addresses_) out.push_back(name);
  return out;
}

std::shared_ptr<::grpc::Channel> Upstreams::channel(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (auto it = channels_.find(name); it != channels_.end()) return it->second;
  const std::string target = address(name);
  if (target.empty()) return nullptr;
  ::grpc::ChannelArguments args;
  const int backoff = static_cast<int>(options_.max_reconnect_backoff.count());
  // Backoff between attempts only. (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is the connect *timeout*,
  // left at gRPC's 20 s: a short one fails healthy upstreams on a busy machine; a refused
  // connection fails at once anyway.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(backoff, 100));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff);
  args.SetMaxReceiveMessageSize(options_.max_message_bytes);
  args.SetMaxSendMessageSize(options_.max_message_bytes);
  // Calls through the gateway are the client's calls: its user agent is the gateway's.
  args.SetUserAgentPrefix("edfleet-gateway");
  auto channel = ::grpc::CreateCustomChannel(target, ::grpc::InsecureChannelCredentials(), args);
  channels_[name] = channel;
  return channel;
}

}  // namespace edfleet::gateway
