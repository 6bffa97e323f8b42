// HardenedServer on loopback, attacked with raw sockets the way a hostile client would: header
// injection, oversized and slow requests, length-less and chunked bodies, and many connections
// from one address. Each attack must fail and the server must keep serving everyone else.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "edfleet/http/hardened_server.h"
#include "edfleet/testing/raw_http.h"
#include "edfleet/testing/wait.h"

using edfleet::http::HardenedServer;
using edfleet::http::ListenerLimits;
using namespace std::chrono_literals;

namespace {

using edfleet::testing::RawHttpClient;
using edfleet::testing::status_line;

// A HardenedServer on a free loopback port with an echo route, stopped by the destructor.
class Listener {
 public:
  explicit Listener(ListenerLimits limits, std::size_t threads = 8) : server_(limits) {
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_read_timeout(5, 0);
    server_.Get("/hello", [](const httplib::Request&, httplib::Response& res) { res.set_content("hello", "text/plain"); });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("received " + std::to_string(req.body.size()) + " bytes; tenant=" +
                          req.get_header_value("X-Edfleet-Tenant"),
                      "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    REQUIRE(edfleet::testing::wait_until([this] { return server_.is_running(); }));
  }
  ~Listener() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  HardenedServer& server() { return server_; }

 private:
  HardenedServer server_;
  int port_ = 0;
  std::thread thread_;
};

ListenerLimits small_limits() {
  ListenerLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_header_count = 20;
  limits.header_timeout = 400ms;
  limits.request_timeout = 2s;
  limits.max_body_bytes = 1024;
  limits.max_connections_per_address = 4;
  return limits;
}

}  // namespace

TEST_CASE("listener: a well-formed request is served, keep-alive works", "[http]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = client.read_response();
    CHECK(status_line(response) == "HTTP/1.1 200 OK");
    CHECK(response.ends_with("hello"));
  }
}

TEST_CASE("listener: every answer carries a Date header (RFC 9110 6.6.1)", "[http]") {
  Listener listener(small_limits());
  const std::regex imf_fixdate(R"(\r\nDate: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n)");
  // A route, no route (404), a pre-routing refusal (400), a refusal written while reading (431).
  std::string oversized = "GET /hello HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 10; ++i) oversized += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
  for (const std::string& request : {std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"),
                                    std::string("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"),
                                    std::string("GET /hello HTTP/1.1\r\nHost: x\r\nX-Bad: a%0Ab\r\n\r\n"),
                                    oversized + "\r\n"}) {
    RawHttpClient client(listener.port());
    client.send(request);
    const auto response = client.read_response();
    INFO(response.substr(0, 200));
    CHECK(std::regex_search(response, imf_fixdate));
  }
}

TEST_CASE("listener: a percent-encoded CR LF in a header value is refused before routing", "[http][security]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  // httplib decodes %0D%0A in header values: forwarded, this would add a header of the client's.
  REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                      "Accept: application/json%0D%0AX-Edfleet-Tenant:%20beta\r\n\r\n{}"));
  const auto response = client.read_response();
  CHECK(status_line(response) == "HTTP/1.1 400 Bad Request");
  CHECK(response.find("header Accept has a character outside visible ASCII") != std::string::npos);
  CHECK(response.find("tenant=beta") == std::string::npos);
  CHECK(listener.server().counters().malformed_requests.load() == 1);
}

TEST_CASE("listener: other encoded control bytes are refused too", "[http][security]") {
  Listener listener(small_limits());
  for (const char* value : {"a%0Ab", "a%00b", "a%7Fb", "a%C3%A9"}) {
    RawHttpClient client(listener.port());
    REQUIRE(client.send(std::string("GET /hello HTTP/1.1\r\nHost: x\r\nX-Thing: ") + value + "\r\n\r\n"));
    CHECK(status_line(client.read_response()) == "HTTP/1.1 400 Bad Request");
  }
}

TEST_CASE("listener: headers over the byte limit are 431 and the connection closes", "[http][security]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 10; ++i) request += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
  request += "\r\n";
  client.send(request);  // the server may close before it has all of it
  const auto response = client.read_until_closed();
  CHECK(status_line(response) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(listener.server().counters().headers_too_large.load() == 1);
}

TEST_CASE("listener: too many header lines are 431", "[http][security]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 40; ++i) request += "X-" + std::to_string(i) + ": 1\r\n";
  REQUIRE(client.send(request + "\r\n"));
  CHECK(status_line(client.read_response()) == "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST_CASE("listener: headers sent slowly hit the header deadline (408), whatever the read timeout", "[http][security]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  // One header line, then nothing: each recv() would wait the 5 s read timeout; the deadline is 400 ms.
  REQUIRE(client.send("GET /hello HTTP/1.1\r\nHost: x\r\n"));
  const auto started = std::chrono::steady_clock::now();
  const auto response = client.read_until_closed();
  CHECK(status_line(response) == "HTTP/1.1 408 Request Timeout");
  // Well before the 5 s read timeout would have fired (a generous bound: this is not a timing test).
  CHECK(std::chrono::steady_clock::now() - started < 4s);
  CHECK(listener.server().counters().requests_timed_out.load() == 1);
}

TEST_CASE("listener: a Content-Length over the body limit is 413 without reading the body", "[http][security]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  // Announces a petabyte, sends none of it: httplib alone would read (skip) all of it first.
  REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\n\r\n"));
  const auto response = client.read_until_closed();
  CHECK(status_line(response) == "HTTP/1.1 413 Payload Too Large");
  CHECK(listener.server().counters().bodies_too_large.load() == 1);
}

TEST_CASE("listener: a chunked body is cut off at the limit with 413", "[http][security]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  // Up to 1 MiB in 1 KiB chunks; the server must refuse after about 1 KiB, long before the end.
  const std::string chunk = "400\r\n" + std::string(1024, 'z') + "\r\n";
  int sent_chunks = 0;
  for (; sent_chunks < 1024; ++sent_chunks) {
    if (!client.send(chunk)) break;
  }
  const auto response = client.read_until_closed();
  CHECK(status_line(response) == "HTTP/1.1 413 Payload Too Large");
}

TEST_CASE("listener: a small chunked body is accepted", "[http]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  const auto response = client.read_response();
  CHECK(status_line(response) == "HTTP/1.1 200 OK");
  CHECK(response.find("received 5 bytes") != std::string::npos);
}

TEST_CASE("listener: a body without Content-Length or Transfer-Encoding is empty, not read until close", "[http][security]") {
  Listener listener(small_limits());
  RawHttpClient client(listener.port());
  // RFC 9112 6.3: no framing, no body. The connection stays open and the answer comes at once.
  REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto response = client.read_response(3s);
  CHECK(status_line(response) == "HTTP/1.1 200 OK");
  CHECK(response.find("received 0 bytes") != std::string::npos);
}

TEST_CASE("listener: smuggling shapes of Transfer-Encoding are refused", "[http][security]") {
  Listener listener(small_limits());
  {
    RawHttpClient client(listener.port());
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "0\r\n\r\n"));
    CHECK(status_line(client.read_response()) == "HTTP/1.1 400 Bad Request");
  }
  {
    RawHttpClient client(listener.port());
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"));
    CHECK(status_line(client.read_response()) == "HTTP/1.1 501 Not Implemented");
  }
  {
    RawHttpClient client(listener.port());
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}"));
    CHECK(status_line(client.read_response()) == "HTTP/1.1 400 Bad Request");
  }
}

TEST_CASE("listener: one address cannot hold every worker; others are still served", "[http][security]") {
  auto limits = small_limits();
  limits.header_timeout = 20s;  // the attacker's idle sockets stay for the whole test
  Listener listener(limits, /*threads=*/8);
  // The attacker (127.0.0.2) opens far more idle connections than there are worker threads.
  std::vector<std::unique_ptr<RawHttpClient>> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(std::make_unique<RawHttpClient>(listener.port(), "127.0.0.2"));
  REQUIRE(edfleet::testing::wait_until([&] { return listener.server().connections_from("127.0.0.2") == 4; }));
  REQUIRE(edfleet::testing::wait_until(
      [&] { return listener.server().counters().connections_refused.load() == 36; }));
  // A refused connection is told why, or at least closed.
  const auto refused = idle.back()->read_until_closed(5s);
  CHECK((refused.empty() || status_line(refused) == "HTTP/1.1 503 Service Unavailable"));
  // Another client is served while the attacker still holds its four.
  RawHttpClient client(listener.port(), "127.0.0.1");
  REQUIRE(client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(status_line(client.read_response(10s)) == "HTTP/1.1 200 OK");
  CHECK(listener.server().connections_from("127.0.0.2") == 4);
}

TEST_CASE("listener: admission checks run after the built-in ones, in order", "[http]") {
  Listener listener(small_limits());
  std::vector<std::string> calls;
  listener.server().add_admission_check([&](const httplib::Request& req, httplib::Response& res) {
    calls.push_back("first");
    if (req.has_header("X-Refuse")) {
      res.status = 429;
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  RawHttpClient client(listener.port());
  REQUIRE(client.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Refuse: 1\r\n\r\n"));
  CHECK(status_line(client.read_response()) == "HTTP/1.1 429 Too Many Requests");
  REQUIRE(client.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Bad: a%0Ab\r\n\r\n"));
  CHECK(status_line(client.read_response()) == "HTTP/1.1 400 Bad Request");
  CHECK(calls.size() == 1);  // the malformed request never reached the service's check
}
