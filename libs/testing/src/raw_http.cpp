#include "edfleet/testing/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace edfleet::testing {

RawHttpClient::RawHttpClient(int port, const std::string& from) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("RawHttpClient: socket failed");
  sockaddr_in local{};
  local.sin_family = AF_INET;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, from.c_str(), &local.sin_addr) != 1 ||
      ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr) != 1 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("RawHttpClient: cannot connect from " + from + " to port " + std::to_string(port) +
                             ": " + reason);
  }
}

RawHttpClient::~RawHttpClient() { ::close(fd_); }

bool RawHttpClient::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string RawHttpClient::read_until_closed(std::chrono::milliseconds limit) {
  return read(limit, [](const std::string&) { return false; });
}

std::string RawHttpClient::read_response(std::chrono::milliseconds limit) {
  return read(limit, [](const std::string& received) {
    const auto end = received.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const auto length_at = received.find("Content-Length: ");
    const std::size_t length = length_at == std::string::npos ? 0 : std::stoul(received.substr(length_at + 16));
    return received.size() >= end + 4 + length;
  });
}

std::string RawHttpClient::read(std::chrono::milliseconds limit,
                                const std::function<bool(const std::string&)>& complete) {
  std::string received;
  const auto until = std::chrono::steady_clock::now() + limit;
  char buffer[4096];
  while (!complete(received) && std::chrono::steady_clock::now() < until) {
    pollfd watch{fd_, POLLIN, 0};
    if (::poll(&watch, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return received;
}

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

}  // namespace edfleet::testing
