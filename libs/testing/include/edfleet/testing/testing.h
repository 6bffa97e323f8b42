// edfleet::testing — shared fixtures for integration and end-to-end tests.
//
//   auto url = testing::fresh_database("analytics");                // on the binary's Postgres
//   auto brokers = testing::shared_broker().bootstrap_servers();    // the binary's Kafka
//   testing::ServiceProcess service(testing::bin_path("edfleet-analytics"),
//                                   {{"EDFLEET_ANALYTICS_POSTGRES_URL", url}});
//   REQUIRE(testing::wait_until([&] { return query(service.grpc_port()) == 7; }));
//
// One embedded broker and one embedded Postgres per test binary (created on first use, stopped at
// exit), so the test cases of a binary share them and must use their own topics/groups/databases.
// Also here: wait_until (wait.h) and metric lookups (metrics.h), which live in the smaller
// edfleet::testing_base library that libs/kafka's own tests use.
#pragma once

#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edfleet/core/subprocess.h"
#include "edfleet/kafka/embedded_broker.h"
#include "edfleet/kafka/message.h"
#include "edfleet/pg/embedded_postgres.h"
#include "edfleet/testing/internal_auth.h"
#include "edfleet/testing/metrics.h"
#include "edfleet/testing/wait.h"

namespace edfleet::testing {

// The binary's in-process Kafka cluster (all fleet topics created), started on first use.
kafka::EmbeddedBroker& shared_broker();

// The binary's PostgreSQL server (temp data dir, free port), started on first use.
pg::EmbeddedPostgres& shared_postgres();

// Creates a new, empty database <prefix>_<n> on shared_postgres() and returns its URL. The prefix
// is lower-cased and anything but [a-z0-9_] becomes '_'.
std::string fresh_database(std::string_view prefix);

// Every record on `topic` of shared_broker() up to its current end (kafka::read_topic: no consumer
// group, ordered by partition and offset). Throws if not all arrive within `timeout`.
std::vector<kafka::ConsumedMessage> read_topic(const std::string& topic,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(20));

// $EDFLEET_BIN_DIR/<binary> (ctest sets EDFLEET_BIN_DIR); without it, the directory of the running
// test executable (built binaries all land in build/bin).
std::string bin_path(std::string_view binary);

// A built service binary running as a child process, for end-to-end tests.
//
// The child gets `env` over the test's environment plus EDFLEET_READY_FILE=<a private temp file>,
// and `args` on its command line; `binary` is a path, or a bare name resolved with bin_path().
// The constructor waits (up to 30 s) until the service has written its ready file
// ({"service":..,"grpc_port":N,"http_port":N,"pid":N}) and throws std::runtime_error with the tail
// of the service's output if it exits first or the time passes. Its stdout and stderr are captured
// (output()); set EDFLEET_TEST_ECHO=1 to also copy them to the test's stderr, prefixed with the
// binary's name. The destructor kills (SIGKILL) a still-running service; to test graceful shutdown
// call kill(SIGTERM) and wait() yourself.
class ServiceProcess {
 public:
  ServiceProcess(std::string binary, std::map<std::string, std::string> env,
                 std::vector<std::string> args = {});
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  // Where /metrics is: the admin port when the service has one (the gateway), else http_port().
  int metrics_port() const { return ready_.value("admin_port", http_port_); }
  int pid() const;
  const nlohmann::json& ready_info() const { return ready_; }   // the whole ready file

  void kill(int signal = SIGKILL);
  int wait();                                    // exit status, or -N if killed by signal N
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  bool running();

  // Starts the service again with the same env/args (after SIGKILL-ing it if it still runs) and
  // waits for its new ready file, like the constructor.
  void restart();

  std::string output() const;                    // captured stdout + stderr, one line per line

 private:
  struct Captured;
  struct TempDir {
    std::string path;
    TempDir();
    ~TempDir();
  };
  void start();

  std::string binary_;
  std::string name_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> args_;
  TempDir dir_;
  std::string ready_file_;
  std::shared_ptr<Captured> captured_;
  std::unique_ptr<core::Subprocess> process_;
  nlohmann::json ready_;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

}  // namespace edfleet::testing
