// edfleet-gateway (the real binary) in front of a fake upstream that reports what it received:
// metadata crossing the trust boundary, deadlines, trace context, response headers and trailers
// (binary ones too), trailers-only errors, per-message flushing in both modes, cancellation when
// the client disconnects, and a clean UNAVAILABLE for live streams when the gateway stops.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fstream>
#include <filesystem>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/server_callback.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/core/base64.h"
#include "domain/grpc_web.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/testing/testing.h"
#include "test_keys.h"

using namespace std::chrono_literals;
using namespace edfleet;
using namespace edfleet::gateway;

namespace {

std::string to_string(const ::grpc::ByteBuffer& buffer) {
  std::vector<::grpc::Slice> slices;
  std::string out;
  (void)buffer.Dump(&slices);
  for (const auto& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

::grpc::ByteBuffer to_buffer(const std::string& text) {
  ::grpc::Slice slice(text);
  return ::grpc::ByteBuffer(&slice, 1);
}

// The fake upstream, service echo.v1.Echo, any method name:
//   Unary  answers with a JSON report of the request (metadata, deadline), initial + trailing metadata
//   Fail   INVALID_ARGUMENT with details and a trailer, before any message
//   Stream "one", then "two" once release() is called, then OK; or until cancelled
//   Hang   nothing until cancelled or the deadline
class FakeUpstream final : public ::grpc::CallbackGenericService {
 public:
  std::atomic<int> cancelled{0};
  std::promise<void> release_second;
  std::shared_future<void> second = release_second.get_future().share();

  ::grpc::ServerGenericBidiReactor* CreateReactor(::grpc::GenericCallbackServerContext* context) override {
    return new Reactor(this, context);
  }

 private:
  class Reactor final : public ::grpc::ServerGenericBidiReactor {
   public:
    Reactor(FakeUpstream* owner, ::grpc::GenericCallbackServerContext* context) : owner_(owner), context_(context) {
      method_ = context->method();
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;  // half-close after the request
      if (method_ == "/echo.v1.Echo/Unary") {
        nlohmann::json report;
        for (const auto& [key, value] : context_->client_metadata()) {
          report["metadata"][std::string(key.data(), key.size())] = std::string(value.data(), value.size());
        }
        report["deadline_ms"] =
            std::chrono::duration_cast<std::chrono::milliseconds>(context_->deadline() - std::chrono::system_clock::now())
                .count();
        report["request"] = to_string(request_);
        context_->AddInitialMetadata("x-initial", "hello");
        context_->AddTrailingMetadata("x-trailer", "bye");
        context_->AddTrailingMetadata("x-data-bin", std::string("\x00\x01\x02", 3));
        response_ = to_buffer(report.dump());
        StartWriteAndFinish(&response_, ::grpc::WriteOptions(), ::grpc::Status::OK);
      } else if (method_ == "/echo.v1.Echo/Fail") {
        context_->AddTrailingMetadata("x-why", "because");
        Finish(::grpc::Status(::grpc::StatusCode::INVALID_ARGUMENT, "bad \xc3\xbc input", "detail-bytes"));
      } else if (method_ == "/echo.v1.Echo/Stream") {
        response_ = to_buffer("one");
        StartWrite(&response_);
      }
      // Hang: nothing.
    }
    void OnWriteDone(bool ok) override {
      if (!ok || method_ != "/echo.v1.Echo/Stream" || second_sent_) return;
      second_sent_ = true;
      auto second = owner_->second;
      std::thread([this, second] {
        if (second.wait_for(30s) != std::future_status::ready) return;
        std::lock_guard lock(mutex_);
        if (finished_) return;
        response_ = to_buffer("two");
        StartWriteAndFinish(&response_, ::grpc::WriteOptions(), ::grpc::Status::OK);
        finished_ = true;
      }).detach();
    }
    void OnCancel() override {
      ++owner_->cancelled;
      std::lock_guard lock(mutex_);
      if (!finished_) {
        finished_ = true;
        Finish(::grpc::Status::CANCELLED);
      }
    }
    void OnDone() override {
      std::this_thread::sleep_for(10ms);  // let a releasing thread leave its lock scope
      delete this;
    }

   private:
    FakeUpstream* owner_;
    ::grpc::GenericCallbackServerContext* context_;
    std::string method_;
    ::grpc::ByteBuffer request_;
    ::grpc::ByteBuffer response_;
    std::mutex mutex_;
    bool finished_ = false;
    bool second_sent_ = false;
  };
};

const std::string kSecret = "integration-test-secret-0123456789abcdef";

std::string jwt(const std::string& tenant = "acme", const std::string& roles = "service") {
  nlohmann::json claims = {{"iss", "it"}, {"aud", "edfleet"}, {"sub", "tester"}, {"tenant", tenant}, {"roles", {roles}},
                           {"exp", std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count() + 600}};
  return gateway::testing::make_jwt({{"alg", "HS256"}}, claims,
                                    [](const std::string& in) { return gateway::testing::sign_hs256(kSecret, in); });
}

// The web dashboard's files, served by the gateway from static.dir under static.prefix.
std::string make_static_dir() {
  char templ[] = "/tmp/edfleet-gateway-static-XXXXXX";
  REQUIRE(::mkdtemp(templ) != nullptr);
  std::ofstream(std::string(templ) + "/index.html") << "<h1>edfleet dashboard</h1>";
  return templ;
}

struct Fixture {
  Fixture() {
    ::grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(&upstream);
    server = builder.BuildAndStart();
    REQUIRE(port > 0);
    gateway = std::make_unique<edfleet::testing::ServiceProcess>(
        "edfleet-gateway",
        std::map<std::string, std::string>{
            {"EDFLEET_GATEWAY_LOG_LEVEL", "warn"},
            {"EDFLEET_GATEWAY_UPSTREAM_EXTRA", "echo=127.0.0.1:" + std::to_string(port)},
            {"EDFLEET_GATEWAY_ROUTES", "echo.v1.Echo=echo"},
            {"EDFLEET_GATEWAY_UPSTREAM_STREAM_METHODS", "/echo.v1.Echo/Stream"},
            {"EDFLEET_GATEWAY_UPSTREAM_DEFAULT_TIMEOUT", "5s"},
            {"EDFLEET_GATEWAY_UPSTREAM_MAX_TIMEOUT", "10s"},
            {"EDFLEET_GATEWAY_JWT_ISSUER", "it"},
            {"EDFLEET_GATEWAY_JWT_AUDIENCE", "edfleet"},
            {"EDFLEET_GATEWAY_JWT_HS256_SECRETS", "k=" + kSecret},
            {"EDFLEET_GATEWAY_ROLES_SERVICE", "/echo.v1.Echo/*"},
            {"EDFLEET_GATEWAY_SHUTDOWN_GRACE", "1s"},
            {"EDFLEET_GATEWAY_HTTP_READ_TIMEOUT", "1s"},
            {"EDFLEET_GATEWAY_HTTP_WRITE_TIMEOUT", "1s"},
            {"EDFLEET_GATEWAY_HTTP_KEEP_ALIVE_TIMEOUT", "1s"},
            {"EDFLEET_GATEWAY_STATIC_DIR", static_dir},
            {"EDFLEET_GATEWAY_STATIC_PREFIX", "/dashboard"},
        });
  }
  ~Fixture() {
    server->Shutdown(std::chrono::system_clock::now());
    std::filesystem::remove_all(static_dir);
  }
  std::string static_dir = make_static_dir();
  FakeUpstream upstream;
  std::unique_ptr<::grpc::Server> server;
  std::unique_ptr<edfleet::testing::ServiceProcess> gateway;
};

// A response body split into frames (data and trailer).
struct Response {
  int status = 0;
  httplib::Headers headers;
  std::vector<std::string> messages;
  HeaderList trailers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::string trailer(const std::string& name) const {
    for (const auto& [k, v] : trailers) {
      if (k == name) return v;
    }
    return "";
  }
};

void parse_frames(std::string body, Response& out) {
  while (body.size() >= 5) {
    const std::size_t length = (static_cast<unsigned char>(body[1]) << 24) | (static_cast<unsigned char>(body[2]) << 16) |
                               (static_cast<unsigned char>(body[3]) << 8) | static_cast<unsigned char>(body[4]);
    REQUIRE(body.size() >= 5 + length);
    std::string payload = body.substr(5, length);
    if (static_cast<unsigned char>(body[0]) & 0x80) {
      out.trailers = *parse_header_block(payload);
    } else {
      out.messages.push_back(payload);
    }
    body.erase(0, 5 + length);
  }
  REQUIRE(body.empty());
}

std::string text_decode(const std::string& text) {
  core::Base64StreamDecoder decoder;
  std::string bytes;
  REQUIRE(decoder.feed(text, bytes).ok());
  REQUIRE(decoder.finish(bytes).ok());
  return bytes;
}

Response call(int port, const std::string& method, httplib::Headers headers = {}, const std::string& payload = "ping",
              bool text = false) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(20s);
  std::string body;
  append_frame(body, 0, payload);
  headers.emplace("Authorization", "Bearer " + jwt());
  auto result = client.Post(method.c_str(), headers, text ? core::base64_encode(body) : body,
                            text ? "application/grpc-web-text" : "application/grpc-web+proto");
  REQUIRE(result);
  Response response;
  response.status = result->status;
  response.headers = result->headers;
  parse_frames(text ? text_decode(result->body) : result->body, response);
  return response;
}

// A streaming request to /echo.v1.Echo/Stream whose body chunks go to `receive` as they arrive.
httplib::Request stream_request(bool text, std::function<void(const std::string& chunk)> receive) {
  std::string body;
  append_frame(body, 0, "go");
  httplib::Request request;
  request.method = "POST";
  request.path = "/echo.v1.Echo/Stream";
  request.headers = {{"Authorization", "Bearer " + jwt()},
                     {"Content-Type", text ? "application/grpc-web-text" : "application/grpc-web+proto"}};
  request.body = text ? core::base64_encode(body) : body;
  request.content_receiver = [receive](const char* data, std::size_t length, std::uint64_t, std::uint64_t) {
    receive(std::string(data, length));
    return true;
  };
  return request;
}

}  // namespace

TEST_CASE("the gateway forwards calls to a fake upstream with the right metadata, deadline and trailers") {
  Fixture f;
  const int port = f.gateway->http_port();

  SECTION("metadata: internal keys and credentials stripped, identity and trace set, custom kept") {
    const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    auto response = call(port, "/echo.v1.Echo/Unary",
                         {{"x-edfleet-tenant", "evil"}, {"X-Edfleet-Roles", "admin"}, {"x-custom", "hello"},
                          {"custom-bin", core::base64_encode(std::string("\x01\x02", 2))}, {"cookie", "session=1"},
                          {"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
    REQUIRE(response.status == 200);
    REQUIRE(response.messages.size() == 1);
    auto report = nlohmann::json::parse(response.messages[0]);
    const auto& md = report["metadata"];
    CHECK(md["x-edfleet-tenant"] == "acme");
    CHECK(md["x-edfleet-principal"] == "jwt:tester");
    CHECK(md["x-edfleet-roles"] == "service");
    CHECK(md["x-custom"] == "hello");
    CHECK(md["custom-bin"] == std::string("\x01\x02", 2));
    CHECK_FALSE(md.contains("authorization"));
    CHECK_FALSE(md.contains("cookie"));
    auto parent = edfleet::grpc::parse_traceparent(md["traceparent"].get<std::string>());
    REQUIRE(parent);
    CHECK(parent->trace_id == trace);
    CHECK(parent->parent_id != "00f067aa0ba902b7");  // the gateway's own span
    CHECK(report["request"] == "ping");
    CHECK(response.header("X-Edfleet-Trace-Id") == trace);
    // Upstream headers and trailers reach the client; binary values base64-encoded.
    CHECK(response.header("x-initial") == "hello");
    CHECK(response.trailer("grpc-status") == "0");
    CHECK(response.trailer("x-trailer") == "bye");
    CHECK(response.trailer("x-data-bin") == "AAEC");
  }

  SECTION("deadlines: the client's grpc-timeout, the default, and the cap") {
    auto with_timeout = nlohmann::json::parse(call(port, "/echo.v1.Echo/Unary", {{"grpc-timeout", "2S"}}).messages.at(0));
    CHECK(with_timeout["deadline_ms"].get<int>() <= 2100);
    CHECK(with_timeout["deadline_ms"].get<int>() > 1000);
    auto by_default = nlohmann::json::parse(call(port, "/echo.v1.Echo/Unary").messages.at(0));
    CHECK(by_default["deadline_ms"].get<int>() <= 5200);  // grpc-timeout on the wire is rounded up
    CHECK(by_default["deadline_ms"].get<int>() > 3000);
    auto capped = nlohmann::json::parse(call(port, "/echo.v1.Echo/Unary", {{"grpc-timeout", "1H"}}).messages.at(0));
    CHECK(capped["deadline_ms"].get<int>() <= 10200);
    CHECK(capped["deadline_ms"].get<int>() > 8000);
    // The largest grpc-timeout (its nanoseconds overflow 64 bits) saturates, then is capped too.
    auto huge =
        nlohmann::json::parse(call(port, "/echo.v1.Echo/Unary", {{"grpc-timeout", "99999999H"}}).messages.at(0));
    CHECK(huge["deadline_ms"].get<int>() <= 10200);
    CHECK(huge["deadline_ms"].get<int>() > 8000);

    const auto started = std::chrono::steady_clock::now();
    auto hang = call(port, "/echo.v1.Echo/Hang", {{"grpc-timeout", "300m"}});
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(hang.header("grpc-status") == "4");  // DEADLINE_EXCEEDED, trailers-only
    CHECK(hang.messages.empty());
    CHECK(took >= 250ms);
    CHECK(took < 3s);
  }

  SECTION("an error before any message is a trailers-only response with details and trailers") {
    for (bool text : {false, true}) {
      auto response = call(port, "/echo.v1.Echo/Fail", {}, "x", text);
      CHECK(response.status == 200);
      CHECK(response.header("grpc-status") == "3");
      // httplib's client percent-decodes header values as it reads them: the wire had "bad %C3%BC input".
      CHECK(response.header("grpc-message") == "bad \xc3\xbc input");
      CHECK(response.header("grpc-status-details-bin") == core::base64_encode("detail-bytes"));
      CHECK(response.header("x-why") == "because");
      CHECK(response.messages.empty());
      CHECK(response.trailers.empty());
    }
  }

  SECTION("text mode: the whole exchange base64, with the same content") {
    auto response = call(port, "/echo.v1.Echo/Unary", {}, "ping", true);
    CHECK(response.header("Content-Type") == "application/grpc-web-text+proto");
    REQUIRE(response.messages.size() == 1);
    CHECK(nlohmann::json::parse(response.messages[0])["request"] == "ping");
    CHECK(response.trailer("grpc-status") == "0");
  }
}

TEST_CASE("the dashboard's static files are served from the configured directory") {
  Fixture f;
  httplib::Client client("127.0.0.1", f.gateway->http_port());
  auto index = client.Get("/dashboard/index.html");
  REQUIRE(index);
  CHECK(index->status == 200);
  CHECK(index->body == "<h1>edfleet dashboard</h1>");
  CHECK(index->get_header_value("Content-Type").find("text/html") == 0);
  auto missing = client.Get("/dashboard/nope.js");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  // No path may climb out of the directory.
  auto escape = client.Get("/dashboard/../../etc/passwd");
  REQUIRE(escape);
  CHECK(escape->status != 200);
}

TEST_CASE("CORS with * answers any origin without credentials; * mixed with origins does not start") {
  auto gateway_with_origins = [](const std::string& origins) {
    return std::make_unique<edfleet::testing::ServiceProcess>(
        "edfleet-gateway", std::map<std::string, std::string>{{"EDFLEET_GATEWAY_LOG_LEVEL", "warn"},
                                                              {"EDFLEET_GATEWAY_CORS_ALLOWED_ORIGINS", origins},
                                                              {"EDFLEET_GATEWAY_SHUTDOWN_GRACE", "1s"}});
  };
  CHECK_THROWS_WITH(gateway_with_origins("*,https://app.example.com"), Catch::Contains("cors.allowed_origins"));

  auto any = gateway_with_origins("*");
  httplib::Client client("127.0.0.1", any->http_port());
  auto preflight = client.Options("/echo.v1.Echo/Unary", {{"Origin", "https://anywhere.example"},
                                                          {"Access-Control-Request-Method", "POST"},
                                                          {"Access-Control-Request-Headers", "authorization"}});
  REQUIRE(preflight);
  CHECK(preflight->status == 204);
  CHECK(preflight->get_header_value("Access-Control-Allow-Origin") == "*");
  CHECK_FALSE(preflight->has_header("Access-Control-Allow-Credentials"));
  CHECK(preflight->get_header_value("Access-Control-Allow-Headers") == "authorization");
}

TEST_CASE("each streamed message is flushed as it arrives, in binary and text mode") {
  for (bool text : {false, true}) {
    DYNAMIC_SECTION((text ? "text" : "binary")) {
      Fixture f;
      httplib::Client client("127.0.0.1", f.gateway->http_port());
      client.set_read_timeout(20s);
      std::string received;
      bool released = false;
      auto request = stream_request(text, [&](const std::string& chunk) {
        received += chunk;
        Response so_far;
        const std::string bytes = text ? text_decode(received) : received;
        if (!released && bytes.size() >= 8) {
          // "one" is here while the upstream still holds "two": only then is it released.
          parse_frames(bytes.substr(0, 8), so_far);
          CHECK(so_far.messages == std::vector<std::string>{"one"});
          f.upstream.release_second.set_value();
          released = true;
        }
      });
      auto result = client.send(request);
      REQUIRE(result);
      CHECK(released);
      Response response;
      parse_frames(text ? text_decode(received) : received, response);
      CHECK(response.messages == std::vector<std::string>{"one", "two"});
      CHECK(response.trailer("grpc-status") == "0");
    }
  }
}

TEST_CASE("a client that disconnects mid-stream cancels the upstream call") {
  Fixture f;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(f.gateway->http_port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  std::string body;
  append_frame(body, 0, "go");
  const std::string request = "POST /echo.v1.Echo/Stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web+proto\r\n"
                              "Authorization: Bearer " + jwt() + "\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body;
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string seen;
  char buffer[4096];
  while (seen.find("one") == std::string::npos) {
    auto n = ::read(fd, buffer, sizeof buffer);
    REQUIRE(n > 0);
    seen.append(buffer, static_cast<std::size_t>(n));
  }
  CHECK(f.upstream.cancelled == 0);
  ::close(fd);
  CHECK(edfleet::testing::wait_until([&] { return f.upstream.cancelled.load() == 1; }, 5s));
}

TEST_CASE("stopping the gateway ends live streams with UNAVAILABLE and exits cleanly") {
  Fixture f;
  std::atomic<bool> first_received{false};
  std::string received;
  auto done = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", f.gateway->http_port());
    client.set_read_timeout(20s);
    auto request = stream_request(false, [&](const std::string& chunk) {
      received += chunk;
      if (received.size() >= 8) first_received = true;
    });
    return static_cast<bool>(client.send(request));
  });
  // The stream is live: the client has its first message.
  REQUIRE(edfleet::testing::wait_until([&] { return first_received.load(); }));
  f.gateway->kill(SIGTERM);
  REQUIRE(done.get());
  Response result;
  parse_frames(received, result);
  INFO(f.gateway->output());
  CHECK(result.messages == std::vector<std::string>{"one"});
  CHECK(result.trailer("grpc-status") == "14");
  CHECK_THAT(percent_decode_grpc_message(result.trailer("grpc-message")), Catch::Contains("shutting down"));
  auto code = f.gateway->wait_for(20s);
  REQUIRE(code);
  CHECK(*code == 0);
}
