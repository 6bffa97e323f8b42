// A minimal blocking HTTP/1.1 client for the LRS benchmark: one keep-alive connection to 127.0.0.1,
// the request written with one send, the response read by Content-Length. It costs the client side
// a few microseconds per request (a general-purpose client costs more, and on a 2-core machine the
// client's CPU is taken from the server being measured). Reconnects when the server closes the
// connection (Connection: close, or a keep-alive connection found closed before a request).
#pragma once

#include <string>
#include <string_view>

namespace edfleet::bench::xapi {

struct HttpResponse {
  int status = 0;          // 0: no response (connection failed)
  std::string body;
};

class HttpConnection {
 public:
  explicit HttpConnection(int port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // `head` is the request line and headers without Content-Length and the blank line; the
  // Content-Length of `body` is added. Throws std::runtime_error when no answer comes.
  HttpResponse request(std::string_view head, std::string_view body);

  int reconnects() const { return reconnects_; }

 private:
  void connect();
  void close();
  bool send_all(std::string_view data);
  bool read_response(HttpResponse& response, bool& server_closes);

  int port_;
  int fd_ = -1;
  int reconnects_ = -1;   // the first connect is not a reconnect
  std::string request_;
  std::string buffer_;
};

// RFC 4648 base64 (for HTTP Basic) and %-encoding of a query parameter value.
std::string base64(std::string_view data);
std::string url_encode(std::string_view value);

}  // namespace edfleet::bench::xapi
