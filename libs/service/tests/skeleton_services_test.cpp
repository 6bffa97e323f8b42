// The skeleton services (summaries, notify; rules and gateway for start-up and config errors) as real processes (through
// testing::ServiceProcess): each starts from its config.yaml (ports overridden to 0), becomes
// ready, reports SERVING, answers its API with UNIMPLEMENTED naming the issue that will deliver it,
// serves /metrics and /healthz, logs one access line per call, and exits 0 on SIGTERM.
#include <signal.h>

#include <future>
#include <map>
#include <mutex>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/core/subprocess.h"
#include "edfleet/grpc/health_client.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/testing/testing.h"

namespace {

// The JSON log lines in `output` whose "msg" is `msg`.
std::vector<nlohmann::json> logs(const std::string& output, std::string_view msg) {
  std::vector<nlohmann::json> found;
  std::size_t pos = 0;
  while (pos < output.size()) {
    auto end = output.find('\n', pos);
    if (end == std::string::npos) end = output.size();
    auto parsed = nlohmann::json::parse(output.substr(pos, end - pos), nullptr, false);
    if (parsed.is_object() && parsed.value("msg", "") == msg) found.push_back(parsed);
    pos = end + 1;
  }
  return found;
}

// A binary that is expected to exit without becoming ready (--help, bad configuration), with its
// output captured. Running services use testing::ServiceProcess.
class Child {
 public:
  Child(const std::string& binary, std::vector<std::string> args, std::map<std::string, std::string> env) {
    std::vector<std::string> argv{edfleet::testing::bin_path(binary)};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<edfleet::core::Subprocess>(
        std::move(argv), std::move(env), [this](std::string_view line, bool) {
          std::lock_guard lock(mutex_);
          lines_.emplace_back(line);
        });
  }
  int exit_code(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    auto code = process_->wait_for(timeout);
    if (!code) throw std::runtime_error("still running after " + std::to_string(timeout.count()) + " s:\n" + output());
    return *code;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::string output() {
    std::string all;
    for (const auto& line : lines()) all += line + "\n";
    return all;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
  std::unique_ptr<edfleet::core::Subprocess> process_;
};

struct Skeleton {
  std::string name;
  std::string service;      // full gRPC service name
  std::string method;       // a unary method to call
  std::string expect;       // in the UNIMPLEMENTED message
  int config_grpc_port;     // in its config.yaml
  int config_http_port;
};

const std::vector<Skeleton>& skeletons() {
  static const std::vector<Skeleton> all{
      {"summaries", "edfleet.summaries.v1.SummariesService", "SummarizeSession", "later issue", 7301, 7302},
      {"notify", "edfleet.notify.v1.NotifyService", "Send", "later issue", 7401, 7402},
  };
  return all;
}

std::string config_path(const std::string& name) {
  return std::string(EDFLEET_SOURCE_DIR) + "/services/" + name + "/config.yaml";
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// A unary call with an empty request (a valid encoding of every proto3 message).
::grpc::Status call_empty(const std::shared_ptr<::grpc::Channel>& channel, const std::string& method,
                          const std::map<std::string, std::string>& metadata) {
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  ::grpc::Slice empty("");
  ::grpc::ByteBuffer request(&empty, 1);  // a ByteBuffer without slices is not a valid message
  ::grpc::ByteBuffer response;
  std::promise<::grpc::Status> done;
  ::grpc::GenericStub stub(channel);
  stub.UnaryCall(&context, method, ::grpc::StubOptions(), &request, &response,
                 [&done](::grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

}  // namespace

TEST_CASE("each skeleton service starts, serves, answers UNIMPLEMENTED and stops on SIGTERM") {
  for (const auto& skeleton : skeletons()) {
    DYNAMIC_SECTION(skeleton.name) {
      std::string prefix = "EDFLEET_" + upper(skeleton.name) + "_";
      edfleet::testing::ServiceProcess child("edfleet-" + skeleton.name,
                                             {{prefix + "GRPC_PORT", "0"}, {prefix + "HTTP_PORT", "0"}},
                                             {"--config", config_path(skeleton.name)});
      const auto& info = child.ready_info();
      CHECK(info["service"] == skeleton.name);
      CHECK(info["pid"] == child.pid());
      int grpc_port = child.grpc_port();
      int http_port = child.http_port();
      REQUIRE(grpc_port > 0);
      REQUIRE(http_port > 0);
      // The environment overrode the config.yaml ports with 0 (a free port).
      CHECK(grpc_port != skeleton.config_grpc_port);
      CHECK(http_port != skeleton.config_http_port);

      auto channel = ::grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port),
                                           ::grpc::InsecureChannelCredentials());
      auto health = edfleet::grpc::check_health(channel);
      CHECK(health.status.ok());
      CHECK(health.serving == edfleet::grpc::ServingStatus::kServing);
      CHECK(edfleet::grpc::check_health(channel, skeleton.service).serving_ok());

      std::string method = "/" + skeleton.service + "/" + skeleton.method;
      std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
      // The tenant as the gateway sends it: signed with the fleet's (here: the tests') secret.
      auto metadata = edfleet::testing::identity_headers({"acme", "", ""});
      metadata["traceparent"] = edfleet::grpc::format_traceparent(trace, "00f067aa0ba902b7");
      std::map<std::string, std::string> lower_case;
      for (const auto& [name, value] : metadata) {
        std::string key = name;
        for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        lower_case[key] = value;
      }
      auto status = call_empty(channel, method, lower_case);
      CHECK(status.error_code() == ::grpc::StatusCode::UNIMPLEMENTED);
      CHECK_THAT(status.error_message(), Catch::Contains(skeleton.service + "/" + skeleton.method));
      CHECK_THAT(status.error_message(), Catch::Contains(skeleton.expect));

      httplib::Client http("127.0.0.1", http_port);
      auto metrics = http.Get("/metrics");
      REQUIRE(metrics);
      CHECK(metrics->status == 200);
      CHECK_THAT(metrics->get_header_value("Content-Type"), Catch::StartsWith("text/plain; version=0.0.4"));
      CHECK_THAT(metrics->body, Catch::Contains("edfleet_grpc_server_handled_total{code=\"UNIMPLEMENTED\",method=\"" +
                                                method + "\"} 1"));
      CHECK_THAT(metrics->body, Catch::Contains("edfleet_grpc_server_handling_seconds_count{method=\"" + method + "\"} 1"));
      CHECK_THAT(metrics->body, Catch::Contains("edfleet_service_info{service=\"" + skeleton.name + "\"} 1"));
      auto healthz = http.Get("/healthz");
      REQUIRE(healthz);
      CHECK(healthz->status == 200);
      CHECK(healthz->body == "ok");

      // One access-log line for the call, with the caller's trace id and tenant.
      REQUIRE(edfleet::testing::wait_until([&] {
        for (const auto& line : logs(child.output(), "grpc call")) {
          if (line.value("method", "") == method) return true;
        }
        return false;
      }));
      for (const auto& line : logs(child.output(), "grpc call")) {
        if (line.value("method", "") != method) continue;
        CHECK(line["code"] == "UNIMPLEMENTED");
        CHECK(line["trace_id"] == trace);
        CHECK(line["tenant"] == "acme");
        CHECK(line["service"] == skeleton.name);
        CHECK(line["duration_ms"].is_number());
        CHECK(line.contains("peer"));
      }
      CHECK(logs(child.output(), "service started").size() == 1);

      child.kill(SIGTERM);
      auto code = child.wait_for(std::chrono::seconds(30));
      INFO(child.output());
      REQUIRE(code.has_value());
      CHECK(*code == 0);
      CHECK(logs(child.output(), "service stopped").size() == 1);
    }
  }
}

TEST_CASE("SIGINT stops a service as cleanly as SIGTERM") {
  edfleet::testing::ServiceProcess child("edfleet-gateway",
                                         {{"EDFLEET_GATEWAY_GRPC_PORT", "0"}, {"EDFLEET_GATEWAY_HTTP_PORT", "0"}},
                                         {"--config", config_path("gateway")});
  child.kill(SIGINT);
  auto code = child.wait_for(std::chrono::seconds(30));
  INFO(child.output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  auto stopping = logs(child.output(), "service stopping");
  REQUIRE(stopping.size() == 1);
  CHECK(stopping[0]["reason"] == "SIGINT");
}

TEST_CASE("--help lists the configuration keys and exits 0") {
  for (const auto& skeleton : skeletons()) {
    DYNAMIC_SECTION(skeleton.name) {
      Child child("edfleet-" + skeleton.name, {"--help"}, {});
      int code = child.exit_code();
      INFO(child.output());
      CHECK(code == 0);
      auto output = child.output();
      CHECK_THAT(output, Catch::Contains("--config FILE"));
      CHECK_THAT(output, Catch::Contains("grpc.port"));
      CHECK_THAT(output, Catch::Contains("EDFLEET_" + upper(skeleton.name) + "_GRPC_PORT"));
      CHECK_THAT(output, Catch::Contains("EDFLEET_READY_FILE"));
    }
  }
}

TEST_CASE("a configuration error exits 2 with a message naming the key") {
  SECTION("bad environment value") {
    Child child("edfleet-rules", {"--config", config_path("rules")}, {{"EDFLEET_RULES_GRPC_PORT", "seventy"}});
    CHECK(child.exit_code() == 2);
    CHECK_THAT(child.output(), Catch::Contains("grpc.port"));
  }
  SECTION("out-of-range port") {
    Child child("edfleet-gateway", {}, {{"EDFLEET_GATEWAY_HTTP_PORT", "70000"}});
    CHECK(child.exit_code() == 2);
    CHECK_THAT(child.output(), Catch::Contains("http.port"));
  }
  SECTION("missing file") {
    Child child("edfleet-notify", {"--config", "/nonexistent/notify.yaml"}, {});
    CHECK(child.exit_code() == 2);
    CHECK_THAT(child.output(), Catch::Contains("/nonexistent/notify.yaml"));
  }
  SECTION("unknown argument") {
    Child child("edfleet-summaries", {"--port", "1"}, {});
    CHECK(child.exit_code() == 2);
    CHECK_THAT(child.output(), Catch::Contains("--port"));
  }
}
