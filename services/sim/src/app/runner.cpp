#include "app/runner.h"

#include <algorithm>
#include <map>
#include <thread>

#include "domain/pacing.h"

namespace edfleet::sim {

struct Runner::LaneState {
  LaneState(Lane lane, double rate, int index, int count)
      : source(std::move(lane.source)), total(lane.events), pacer(rate, index, count) {}
  std::unique_ptr<EventSource> source;
  std::uint64_t total;
  std::uint64_t sent = 0;
  StreamPacer pacer;
};

Runner::Runner(RunnerConfig config, std::vector<Lane> lanes, std::function<std::unique_ptr<EventSender>()> make_sender)
    : config_(config), make_sender_(std::move(make_sender)) {
  const int count = static_cast<int>(lanes.size());
  for (int i = 0; i < count; ++i) {
    planned_ += lanes[static_cast<std::size_t>(i)].events;
    lanes_.push_back(std::make_unique<LaneState>(std::move(lanes[static_cast<std::size_t>(i)]), config_.rate, i, count));
  }
  const int per_worker = std::max(1, config_.lanes_per_worker);
  const int workers = std::max(1, (count + per_worker - 1) / per_worker);
  for (int w = 0; w < workers; ++w) workers_.push_back(std::make_unique<Worker>());
  // Interleaved, so each worker serves lanes of every tenant.
  for (int i = 0; i < count; ++i) workers_[static_cast<std::size_t>(i % workers)]->lanes.push_back(lanes_[static_cast<std::size_t>(i)].get());
}

Runner::~Runner() = default;

void Runner::run(const std::atomic<bool>& stop) {
  std::vector<std::unique_ptr<EventSender>> senders;
  for (std::size_t w = 0; w < workers_.size(); ++w) senders.push_back(make_sender_());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    threads.emplace_back([this, w, &senders, start, &stop] { work(*workers_[w], *senders[w], start, stop); });
  }
  for (auto& t : threads) t.join();
}

RunStats Runner::stats() const {
  RunStats total;
  for (const auto& worker : workers_) {
    std::lock_guard lock(worker->mutex);
    total.merge(worker->stats);
  }
  return total;
}

void Runner::work(Worker& worker, EventSender& sender, std::chrono::steady_clock::time_point start,
                  const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  const auto window = batch_window(config_.rate * static_cast<double>(worker.lanes.size()), config_.batch_size, config_.linger);
  Clock::time_point last_send = start - window;
  std::size_t first_lane = 0;   // rotates, so no lane is always last when batches are full

  struct Pending {
    events::v1::Event event;
    Clock::time_point due;
  };
  std::vector<Pending> batch;
  while (!stop.load(std::memory_order_relaxed)) {
    Clock::time_point next_due = Clock::time_point::max();
    for (const LaneState* lane : worker.lanes) {
      if (lane->sent < lane->total) next_due = std::min(next_due, start + lane->pacer.due(lane->sent));
    }
    if (next_due == Clock::time_point::max()) return;   // every lane is done
    const auto wake = std::max(next_due, last_send + window);
    auto now = Clock::now();
    if (wake > now) {
      // Short naps, so that a stop request is noticed quickly.
      std::this_thread::sleep_until(std::min(wake, now + std::chrono::milliseconds(100)));
      continue;
    }

    batch.clear();
    for (std::size_t n = 0; n < worker.lanes.size() && batch.size() < config_.batch_size; ++n) {
      LaneState& lane = *worker.lanes[(first_lane + n) % worker.lanes.size()];
      while (lane.sent < lane.total && batch.size() < config_.batch_size) {
        const auto due = start + lane.pacer.due(lane.sent);
        if (due > now) break;
        batch.push_back({lane.source->next(), due});
        ++lane.sent;
      }
    }
    first_lane = (first_lane + 1) % worker.lanes.size();
    last_send = now;

    // One request, or one per tenant when calling as the tenant.
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      groups[config_.tenant_header ? batch[i].event.tenant() : std::string()].push_back(i);
    }
    for (const auto& [tenant, members] : groups) {
      std::vector<events::v1::Event> events;
      std::vector<std::string> ids;
      events.reserve(members.size());
      for (std::size_t i : members) {
        ids.push_back(batch[i].event.id());
        events.push_back(std::move(batch[i].event));
      }
      const auto sent_at = Clock::now();
      const SendResult result = sender.send(events, tenant);
      const auto answered = Clock::now();
      std::vector<std::chrono::microseconds> latencies;
      latencies.reserve(members.size());
      for (std::size_t i : members) {
        latencies.push_back(std::chrono::duration_cast<std::chrono::microseconds>(answered - batch[i].due));
      }
      std::lock_guard lock(worker.mutex);
      worker.stats.add_request(result, ids, std::chrono::duration_cast<std::chrono::microseconds>(answered - sent_at),
                               latencies);
    }
  }
}

}  // namespace edfleet::sim
