// RawHttpClient: a TCP client that sends exactly the bytes a test writes, from any loopback
// address, for attack tests that a well-behaved HTTP library would refuse to send (header values
// with encoded CR LF, slow or oversized requests, bad framing) or that need two client addresses
// (per-address limits: 127.0.0.1 and 127.0.0.2 are different clients to the server).
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace edfleet::testing {

class RawHttpClient {
 public:
  // Connects to 127.0.0.1:`port` from `from` (any address of 127.0.0.0/8). Throws
  // std::runtime_error when it cannot.
  explicit RawHttpClient(int port, const std::string& from = "127.0.0.1");
  ~RawHttpClient();
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  // False once the server has closed (or reset) the connection.
  bool send(const std::string& bytes);
  // Everything the server sends until it closes the connection or `limit` passes.
  std::string read_until_closed(std::chrono::milliseconds limit = std::chrono::seconds(15));
  // One response (headers and a Content-Length body) on a connection that stays open.
  std::string read_response(std::chrono::milliseconds limit = std::chrono::seconds(15));

 private:
  std::string read(std::chrono::milliseconds limit, const std::function<bool(const std::string&)>& complete);
  int fd_ = -1;
};

// "HTTP/1.1 200 OK" of a raw response.
std::string status_line(const std::string& response);

}  // namespace edfleet::testing
