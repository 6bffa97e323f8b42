#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace edfleet::bench::xapi {
namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = text[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace

HttpConnection::HttpConnection(int port) : port_(port) {}

HttpConnection::~HttpConnection() { close(); }

void HttpConnection::connect() {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int yes = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const std::string error = std::strerror(errno);
    close();
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port_) + ": " + error);
  }
  buffer_.clear();
  ++reconnects_;
}

void HttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool HttpConnection::send_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool HttpConnection::read_response(HttpResponse& response, bool& server_closes) {
  char chunk[65536];
  std::size_t header_end = std::string::npos;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  const std::string_view head(buffer_.data(), header_end);
  if (head.size() < 12 || !head.starts_with("HTTP/1.")) throw std::runtime_error("not an HTTP response");
  response.status = std::stoi(std::string(head.substr(9, 3)));
  std::size_t content_length = 0;
  server_closes = false;
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    const std::size_t next = head.find("\r\n", at + 2);
    const std::string_view line =
        head.substr(at + 2, next == std::string_view::npos ? std::string_view::npos : next - at - 2);
    if (iequals_prefix(line, "content-length:")) content_length = std::stoul(std::string(line.substr(15)));
    if (iequals_prefix(line, "connection:") && line.find("close") != std::string_view::npos) server_closes = true;
    at = next;
  }
  const std::size_t total = header_end + 4 + content_length;
  while (buffer_.size() < total) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  response.body.assign(buffer_, header_end + 4, content_length);
  buffer_.erase(0, total);
  return true;
}

HttpResponse HttpConnection::request(std::string_view head, std::string_view body) {
  request_.assign(head);
  request_ += "Content-Length: ";
  request_ += std::to_string(body.size());
  request_ += "\r\n\r\n";
  request_ += body;
  // A kept-alive connection the server has closed meanwhile fails at once: retry on a new one.
  std::string failure;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = fd_ < 0;
    if (fresh) connect();
    HttpResponse response;
    bool server_closes = false;
    errno = 0;
    const bool sent = send_all(request_);
    if (sent && read_response(response, server_closes)) {
      if (server_closes) close();
      return response;
    }
    failure = std::string(sent ? "reading the answer: " : "sending: ") +
              (errno != 0 ? std::strerror(errno) : "connection closed") + (fresh ? " (new connection)" : "");
    close();
    if (fresh) break;
  }
  throw std::runtime_error("no HTTP response from 127.0.0.1:" + std::to_string(port_) + ": " + failure);
}

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string url_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace edfleet::bench::xapi
