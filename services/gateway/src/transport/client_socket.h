// Watching an HTTP client's connection while a gRPC-Web call waits on its upstream.
//
// cpp-httplib 0.11 gives handlers no access to the connection's socket, and a peer that has gone
// away is only noticed when a write fails. A server stream may be quiet for minutes, so the gateway
// would keep the upstream call (and a worker thread) for a client that left long ago. The socket is
// found instead by the connection's (local port, remote address, remote port), which identify it
// uniquely, among the process's descriptors; the scan runs only for calls that wait long enough to
// need it, on the worker thread that owns the connection (so the descriptor cannot be closed and
// reused meanwhile).
#pragma once

#include <string>

namespace edfleet::gateway {

class ClientConnection {
 public:
  ClientConnection(int local_port, std::string remote_address, int remote_port)
      : local_port_(local_port), remote_address_(std::move(remote_address)), remote_port_(remote_port) {}

  // True once the peer has closed or reset the connection. False while it is open, and when the
  // socket cannot be found (then a failed write is what tells).
  bool gone();

 private:
  int find();
  int local_port_;
  std::string remote_address_;
  int remote_port_;
  int fd_ = -1;
  bool searched_ = false;
};

}  // namespace edfleet::gateway
