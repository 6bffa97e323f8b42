// The client side of a fault test: a simulated run of producers publishing events to edfleet-ingest
// over gRPC while the test breaks things, recording for every event whether ingest acknowledged it.
//
//   faults::IngestEndpoint endpoint(ingest.grpc_port());
//   faults::PublishRun run(faults::make_unique_events(100000, now, seed), endpoint, {});
//   run.start();
//   testing::wait_until([&] { return run.acknowledged() >= 30000; });
//   ingest.kill(SIGKILL); ... ingest.restart(); endpoint.set_port(ingest.grpc_port());
//   REQUIRE(run.finish(std::chrono::seconds(90)));
//
// An event is ACKNOWLEDGED once a Publish call returned OK with `accepted` (new or duplicate) for it;
// it is UNACKNOWLEDGED when it was sent but every answer was a failed call (UNAVAILABLE, deadline...)
// or a REJECT_REASON_UNAVAILABLE result. Publishers re-send a whole batch (same ids: idempotent)
// until all of it is acknowledged, except the "one-shot" publishers (the first `one_shot_publishers`),
// which send each batch once, like a client that gives up: as they always have a call in flight, a
// fault always leaves some events unacknowledged, which is what lets a test check that an
// unacknowledged event is counted at most once. Publisher threads never touch Catch2; what
// they find unexpected (a rejection other than UNAVAILABLE, a malformed answer) goes to problems().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "edfleet/core/clock.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/ingest/v1/ingest.grpc.pb.h"

namespace edfleet::faults {

using Clock = std::chrono::steady_clock;

// `count` valid events, each with its own id and its tenant set: the new events of the end-to-end
// event mix (tests/e2e/event_mix.h: tenants, days, learners, every family of types), in mix order.
std::vector<events::v1::Event> make_unique_events(std::size_t count, core::Timestamp now, std::uint64_t seed);

// `count` marker events of `tenant` (not one of the mix's) on kMarkerDay, keyed by their ids (no
// subject), so that they spread over every partition of the events topic; ids derive from `tenant`.
// A warm-up marker, counted before a run starts, shows analytics is consuming; a sentinel marker,
// published after a run and counted, shows it has read every partition past the run.
std::vector<events::v1::Event> make_marker_events(std::string_view tenant, std::size_t count);
inline constexpr std::string_view kMarkerDay = "2025-06-20";

// A gRPC channel to 127.0.0.1 with a larger receive limit (answers to big batches).
std::shared_ptr<::grpc::Channel> channel_to(int port);

// Where publishers send: ingest's current gRPC port (a restarted ingest binds a new free port).
class IngestEndpoint {
 public:
  explicit IngestEndpoint(int port);
  void set_port(int port);
  std::shared_ptr<ingest::v1::IngestService::Stub> stub();

 private:
  std::mutex mutex_;
  int port_ = 0;
  std::shared_ptr<ingest::v1::IngestService::Stub> stub_;
};

// One Publish call as the client saw it.
struct CallRecord {
  Clock::time_point started;
  Clock::time_point ended;
  ::grpc::StatusCode code = ::grpc::StatusCode::OK;
  std::string error;                  // the status message when not OK
  std::size_t events = 0;
  std::size_t accepted_new = 0;       // accepted, not duplicate
  std::size_t duplicates = 0;         // accepted, duplicate
  std::size_t unavailable = 0;        // REJECT_REASON_UNAVAILABLE
  std::size_t unavailable_without_message = 0;
  std::size_t other_rejections = 0;   // anything else: never expected for these events
  std::string unavailable_message;    // the first one, for the report
  std::chrono::milliseconds duration() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(ended - started);
  }
};

struct RunOptions {
  std::size_t batch_size = 500;
  int publishers = 4;
  int one_shot_publishers = 1;        // of `publishers`; 0 = every batch is retried until acknowledged
  std::chrono::milliseconds call_deadline{5000};
  std::chrono::milliseconds first_backoff{20};   // after a failed attempt, doubling...
  std::chrono::milliseconds max_backoff{200};    // ...up to this
};

enum class EventState : std::uint8_t { kNotSent = 0, kUnacknowledged = 1, kAcknowledged = 2 };

class PublishRun {
 public:
  PublishRun(std::vector<events::v1::Event> events, IngestEndpoint& endpoint, RunOptions options = {});
  ~PublishRun();   // stops and joins the publishers
  PublishRun(const PublishRun&) = delete;
  PublishRun& operator=(const PublishRun&) = delete;

  void start();
  // Waits until every batch is done (acknowledged, or sent once by a one-shot publisher), at most `timeout`;
  // then stops the publishers (an unfinished batch stays as it is) and joins them. True if done.
  bool finish(std::chrono::milliseconds timeout);

  std::size_t acknowledged() const { return acknowledged_.load(); }
  std::size_t batches_done() const { return batches_done_.load(); }
  std::size_t batch_count() const { return batches_.size(); }

  const std::vector<events::v1::Event>& events() const { return events_; }
  EventState state(std::size_t event) const { return static_cast<EventState>(states_[event].load()); }
  std::size_t count(EventState state) const;
  std::size_t resent_batches() const { return resent_batches_.load(); }

  std::vector<CallRecord> calls() const;      // a copy, in completion order
  std::vector<std::string> problems() const;  // unexpected answers (at most the first 50)
  std::chrono::milliseconds elapsed() const;  // since start(), until finish() ended

 private:
  struct BatchRange {
    std::size_t begin;
    std::size_t end;
  };
  void publisher(bool one_shot);
  bool attempt(const BatchRange& batch);   // true when the whole batch is acknowledged
  void problem(std::string text);

  std::vector<events::v1::Event> events_;
  IngestEndpoint& endpoint_;
  RunOptions options_;
  std::vector<BatchRange> batches_;
  std::unique_ptr<std::atomic<std::uint8_t>[]> states_;
  std::atomic<std::size_t> next_batch_{0};
  std::atomic<std::size_t> batches_done_{0};
  std::atomic<std::size_t> acknowledged_{0};
  std::atomic<std::size_t> resent_batches_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  Clock::time_point started_;
  Clock::time_point finished_;
  mutable std::mutex mutex_;   // calls_, problems_, and batches_done_ changes for done_cv_
  std::condition_variable done_cv_;
  std::vector<CallRecord> calls_;
  std::vector<std::string> problems_;
};

}  // namespace edfleet::faults
