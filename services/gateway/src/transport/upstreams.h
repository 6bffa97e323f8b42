// The services behind the gateway, by name ("ingest", "analytics", ...): one gRPC channel each,
// created on first use and shared by all calls (HTTP/2 multiplexes them).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/channel.h>

namespace edfleet::gateway {

// The upstream name that means the gateway's own gRPC port (GatewayAdmin, its health).
inline constexpr const char* kSelfUpstream = "self";

class Upstreams {
 public:
  struct Options {
    // Reconnection backoff cap: a restarted upstream is found again within about this long, and
    // calls to a down one fail at once (UNAVAILABLE) instead of waiting for a connection.
    std::chrono::milliseconds max_reconnect_backoff{1000};
    int max_message_bytes = 16 * 1024 * 1024;
  };
  // `addresses`: name -> host:port; an empty address means "not configured".
  Upstreams(std::map<std::string, std::string> addresses, Options options);

  // Where "self" is: called on first use, after the gateway's gRPC server has started.
  void set_self_address(std::function<std::string()> address);

  // The channel to `name`, or nullptr when the name is unknown or has no address.
  std::shared_ptr<::grpc::Channel> channel(const std::string& name);
  std::string address(const std::string& name) const;
  // Configured names (with or without an address), "self" excluded.
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::string> addresses_;
  Options options_;
  std::function<std::string()> self_address_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<::grpc::Channel>> channels_;
};

}  // namespace edfleet::gateway
