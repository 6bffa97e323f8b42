// The client side of the xAPI fault test: concurrent HTTP clients storing statements in ingest's
// Learning Record Store (POST /xapi/statements batches and single-statement PUTs, ids chosen by the
// clients) while the test kills ingest, recording for every statement whether the LRS acknowledged it.
//
//   faults::LrsEndpoint endpoint(ingest.http_port());
//   faults::StatementRun run(faults::make_statements(4000, 7), endpoint, {});
//   run.start();
//   testing::wait_until([&] { return run.acknowledged() >= 1200; });
//   ingest.kill(SIGKILL); ... ingest.restart(); endpoint.set_port(ingest.http_port());
//   REQUIRE(run.finish(std::chrono::seconds(90)));
//
// A statement is ACKNOWLEDGED once a request holding it answered 200 (POST, with exactly the batch's
// ids in order) or 204 (PUT); it is UNACKNOWLEDGED when it was sent but every answer was a failed
// request (connection refused or reset, timeout) or 503. Client c owns requests c, c + clients, ...
// and records each one's answers; it re-sends a failed request (same ids, same content: the LRS
// answers "no change" for what it has) until it is acknowledged, except the "one-shot" clients (the
// first `one_shot_clients`), which send each request once, like a client that gives up: a kill
// therefore leaves some statements unacknowledged. Client threads never touch Catch2; anything
// unexpected (another status, a wrong id list) goes to log().problems.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace edfleet::faults {

// The tenant every statement of the run is stored for (gateway headers, no credentials needed).
inline constexpr const char* kLrsTenant = "xapi-faults";

// The verbs the statements use, in turn (queries by verb page through all of them).
const std::vector<std::string>& statement_verbs();

// The mbox of learner `k` (the run's actors: kLearners of them, in turn).
std::string learner_mbox(std::size_t k);
inline constexpr std::size_t kLearners = 40;

// `count` valid xAPI statements, each with its own id (a UUID derived from `seed` and its index),
// actor, verb, object, result and context; about 600 bytes each.
std::vector<nlohmann::json> make_statements(std::size_t count, std::uint64_t seed);

// Where clients send: ingest's current HTTP port (a restarted ingest binds a new free port).
class LrsEndpoint {
 public:
  explicit LrsEndpoint(int port) : port_(port) {}
  void set_port(int port) { port_.store(port); }
  int port() const { return port_.load(); }

 private:
  std::atomic<int> port_;
};

// One request as the client saw it.
struct LrsCall {
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point ended;
  bool put = false;
  bool one_shot = false;       // sent by a client that gives up after one failure
  std::size_t statements = 0;
  int status = 0;              // the HTTP status; 0 when the request failed (no answer)
  std::string error;           // httplib's error, or the body of an unexpected answer
  bool acknowledged() const { return status == 200 || status == 204; }
};

struct StatementRunOptions {
  int clients = 4;
  int one_shot_clients = 1;            // of `clients`; 0 = every request is retried until acknowledged
  std::size_t batch_size = 50;         // statements per POST
  std::size_t put_every = 5;           // every put_every-th request is a PUT of one statement (0: none)
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds first_backoff{20};   // after a failed request, doubling...
  std::chrono::milliseconds max_backoff{200};    // ...up to this
};

enum class StatementState : std::uint8_t { kNotSent = 0, kUnacknowledged = 1, kAcknowledged = 2 };

class StatementRun {
 public:
  StatementRun(std::vector<nlohmann::json> statements, LrsEndpoint& endpoint, StatementRunOptions options = {});
  ~StatementRun();   // stops and joins the clients
  StatementRun(const StatementRun&) = delete;
  StatementRun& operator=(const StatementRun&) = delete;

  void start();
  // Waits until every request is done (acknowledged, or sent once by a one-shot client), at most
  // `timeout`; then stops the clients (an unfinished request stays as it is) and joins them.
  bool finish(std::chrono::milliseconds timeout);

  std::size_t acknowledged() const { return acknowledged_.load(); }
  std::size_t request_count() const { return requests_.size(); }
  std::size_t put_count() const;
  std::size_t resent_requests() const { return resent_requests_.load(); }

  const std::vector<nlohmann::json>& statements() const { return statements_; }
  const std::string& id(std::size_t statement) const { return ids_[statement]; }
  StatementState state(std::size_t statement) const { return static_cast<StatementState>(states_[statement].load()); }
  std::size_t count(StatementState state) const;
  // When the statement was first acknowledged (system clock: comparable with `stored`).
  std::chrono::system_clock::time_point acknowledged_at(std::size_t statement) const;

  struct Log {
    std::vector<LrsCall> calls;          // in completion order
    std::vector<std::string> problems;   // unexpected answers (at most the first 50)
  };
  Log log() const;   // a copy
  std::chrono::milliseconds since_start() const;

 private:
  struct Request {
    bool put;
    std::size_t begin;
    std::size_t end;
  };
  void client(int c);
  bool send(const Request& request, bool one_shot);   // true when done: acknowledged, or no retry helps
  void stop_and_join();

  std::vector<nlohmann::json> statements_;
  std::vector<std::string> ids_;
  std::vector<std::string> texts_;   // each statement serialised once
  LrsEndpoint& endpoint_;
  StatementRunOptions options_;
  std::vector<Request> requests_;
  std::unique_ptr<std::atomic<std::uint8_t>[]> states_;
  std::unique_ptr<std::atomic<std::int64_t>[]> acknowledged_at_;   // system clock, microseconds
  std::atomic<std::size_t> requests_done_{0};
  std::atomic<std::size_t> acknowledged_{0};
  std::atomic<std::size_t> resent_requests_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::chrono::steady_clock::time_point started_;
  mutable std::mutex log_mutex_;
  Log log_;
};

}  // namespace edfleet::faults
