// The paced sender: lanes (one per stream) of events, each sending its k-th event when it falls due
// (StreamPacer), served by worker threads that each own several lanes and one EventSender.
//
// A worker sleeps until the earliest due event of its lanes (steady_clock deadlines, no busy
// waiting), then sends every due event of its lanes in one request (at most batch_size; with
// --tenant-header one request per tenant). After a send it waits up to `linger` so that requests
// carry several events. When ingest is slower than the offered rate, due events pile up and go out
// in full batches back to back; their latency is counted from when they were due, so a backlog is
// visible in the per-event latency rather than hidden.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "domain/run_stats.h"
#include "ports/event_sender.h"

namespace edfleet::sim {

struct Lane {
  std::unique_ptr<EventSource> source;
  std::uint64_t events = 0;          // how many to send
};

struct RunnerConfig {
  double rate = 5;                   // per lane, events per second
  int lanes_per_worker = 10;
  std::size_t batch_size = 100;
  std::chrono::nanoseconds linger = std::chrono::milliseconds(50);
  bool tenant_header = false;
};

class Runner {
 public:
  Runner(RunnerConfig config, std::vector<Lane> lanes, std::function<std::unique_ptr<EventSender>()> make_sender);
  ~Runner();

  // Sends every lane's events; returns when all are sent, or soon after `stop` becomes true.
  void run(const std::atomic<bool>& stop);

  // Everything counted so far (safe to call from another thread while run() is going).
  RunStats stats() const;
  std::uint64_t planned() const { return planned_; }
  int workers() const { return static_cast<int>(workers_.size()); }

 private:
  struct LaneState;
  struct Worker {
    std::vector<LaneState*> lanes;
    mutable std::mutex mutex;
    RunStats stats;
  };
  void work(Worker& worker, EventSender& sender, std::chrono::steady_clock::time_point start, const std::atomic<bool>& stop);

  RunnerConfig config_;
  std::vector<std::unique_ptr<LaneState>> lanes_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::function<std::unique_ptr<EventSender>()> make_sender_;
  std::uint64_t planned_ = 0;
};

}  // namespace edfleet::sim
