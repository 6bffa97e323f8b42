#include "fault_run.h"

#include <algorithm>
#include <functional>

#include "edfleet/testing/internal_auth.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/core/time_format.h"
#include "event_mix.h"

namespace edfleet::faults {

using events::v1::Event;

std::vector<Event> make_unique_events(std::size_t count, core::Timestamp now, std::uint64_t seed) {
  // About 90% of the mix are new valid events (the rest: invalid ones and repeated ids); ask for a
  // bit more than needed, and more again in the unlikely case that was not enough.
  std::size_t ask = count + count / 8 + 100;
  for (;;) {
    const e2e::EventMix mix = e2e::make_event_mix(ask, 1000, now, seed);
    std::vector<Event> events;
    events.reserve(count);
    for (const auto& batch : mix.batches) {
      for (std::size_t i = 0; i < batch.events.size() && events.size() < count; ++i) {
        const auto& expected = batch.expected[i];
        if (!expected.accepted || expected.duplicate) continue;
        Event event = batch.events[i];
        // Authenticated batches of the mix leave most tenants for ingest to fill in; these events
        // go out from an internal caller, so each names its tenant.
        if (event.tenant().empty()) event.set_tenant(batch.caller_tenant);
        events.push_back(std::move(event));
      }
    }
    if (events.size() == count) return events;
    ask += ask / 4;
  }
}

std::vector<Event> make_marker_events(std::string_view tenant, std::size_t count) {
  const auto day = *core::parse_day(kMarkerDay);
  const auto day_seconds = std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count();
  const std::uint64_t base = std::hash<std::string_view>{}(tenant);
  std::vector<Event> events;
  events.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    Event e;
    e.set_id(e2e::format_uuid(base + i, 0x9e3779b97f4a7c15ULL * (i + 1)));
    e.set_tenant(std::string(tenant));
    e.set_type("ops.supply_demand_update");
    e.set_source("faults.marker");
    e.mutable_occurred_at()->set_seconds(day_seconds + static_cast<std::int64_t>(i));
    e.mutable_supply_demand_update()->set_subject_area("algebra");
    events.push_back(std::move(e));
  }
  return events;
}

std::shared_ptr<::grpc::Channel> channel_to(int port) {
  ::grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  // A dead ingest must not make the next attempt wait for a long reconnect backoff: the test restarts
  // it within a second or two.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), ::grpc::InsecureChannelCredentials(), args);
}

IngestEndpoint::IngestEndpoint(int port) { set_port(port); }

void IngestEndpoint::set_port(int port) {
  auto stub = ingest::v1::IngestService::NewStub(channel_to(port));
  std::lock_guard lock(mutex_);
  port_ = port;
  stub_ = std::move(stub);
}

std::shared_ptr<ingest::v1::IngestService::Stub> IngestEndpoint::stub() {
  std::lock_guard lock(mutex_);
  return stub_;
}

PublishRun::PublishRun(std::vector<Event> events, IngestEndpoint& endpoint, RunOptions options)
    : events_(std::move(events)),
      endpoint_(endpoint),
      options_(options),
      states_(std::make_unique<std::atomic<std::uint8_t>[]>(events_.size())) {
  for (std::size_t i = 0; i < events_.size(); ++i) states_[i].store(0);
  for (std::size_t begin = 0; begin < events_.size(); begin += options_.batch_size) {
    batches_.push_back({begin, std::min(begin + options_.batch_size, events_.size())});
  }
}

PublishRun::~PublishRun() {
  stop_.store(true);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void PublishRun::start() {
  started_ = Clock::now();
  for (int i = 0; i < options_.publishers; ++i) {
    threads_.emplace_back([this, one_shot = i < options_.one_shot_publishers] { publisher(one_shot); });
  }
}

bool PublishRun::finish(std::chrono::milliseconds timeout) {
  bool done = false;
  {
    std::unique_lock lock(mutex_);
    done = done_cv_.wait_for(lock, timeout, [&] { return batches_done_.load() == batches_.size(); });
  }
  stop_.store(true);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  finished_ = Clock::now();
  return done;
}

std::size_t PublishRun::count(EventState state) const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < events_.size(); ++i) n += this->state(i) == state ? 1 : 0;
  return n;
}

std::vector<CallRecord> PublishRun::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<std::string> PublishRun::problems() const {
  std::lock_guard lock(mutex_);
  return problems_;
}

std::chrono::milliseconds PublishRun::elapsed() const {
  const auto end = finished_ == Clock::time_point{} ? Clock::now() : finished_;
  return std::chrono::duration_cast<std::chrono::milliseconds>(end - started_);
}

void PublishRun::problem(std::string text) {
  std::lock_guard lock(mutex_);
  if (problems_.size() < 50) problems_.push_back(std::move(text));
}

void PublishRun::publisher(bool one_shot) {
  // A client's backoff after a failed call (not a wait for a condition): keeps it from hammering a
  // dead ingest, and a one-shot client from giving up on its whole queue within a moment's outage.
  auto backoff = options_.first_backoff;
  for (;;) {
    const std::size_t b = next_batch_.fetch_add(1);
    if (b >= batches_.size() || stop_.load()) return;
    const BatchRange& batch = batches_[b];
    for (int tries = 0;; ++tries) {
      if (stop_.load()) return;   // the batch stays unfinished: finish() reports it
      if (tries == 1) resent_batches_.fetch_add(1);
      if (attempt(batch)) {
        backoff = options_.first_backoff;
        break;
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
      if (one_shot) break;
    }
    {
      std::lock_guard lock(mutex_);
      batches_done_.fetch_add(1);
    }
    done_cv_.notify_all();
  }
}

bool PublishRun::attempt(const BatchRange& batch) {
  ingest::v1::PublishRequest request;
  for (std::size_t i = batch.begin; i < batch.end; ++i) {
    *request.add_events() = events_[i];
    // Sent at least once: from now on Kafka may have it, whatever the answer.
    std::uint8_t not_sent = static_cast<std::uint8_t>(EventState::kNotSent);
    states_[i].compare_exchange_strong(not_sent, static_cast<std::uint8_t>(EventState::kUnacknowledged));
  }
  CallRecord call;
  call.events = batch.end - batch.begin;
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options_.call_deadline);
  // An internal service publishing for the tenants its events name (signed, as ingest requires).
  edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {"", "service:faults", ""});
  ingest::v1::PublishResponse response;
  auto stub = endpoint_.stub();
  call.started = Clock::now();
  const ::grpc::Status status = stub->Publish(&context, request, &response);
  call.ended = Clock::now();
  call.code = status.error_code();
  bool all_acknowledged = false;
  if (!status.ok()) {
    call.error = status.error_message();
  } else if (static_cast<std::size_t>(response.results_size()) != call.events) {
    problem("a Publish answer has " + std::to_string(response.results_size()) + " results for " +
            std::to_string(call.events) + " events");
  } else {
    all_acknowledged = true;
    for (std::size_t k = 0; k < call.events; ++k) {
      const auto& result = response.results(static_cast<int>(k));
      const Event& event = events_[batch.begin + k];
      if (result.id() != event.id()) {
        problem("result " + std::to_string(k) + " has id " + result.id() + ", expected " + event.id());
        all_acknowledged = false;
        continue;
      }
      if (result.accepted()) {
        ++(result.duplicate() ? call.duplicates : call.accepted_new);
        const auto before = states_[batch.begin + k].exchange(static_cast<std::uint8_t>(EventState::kAcknowledged));
        if (before != static_cast<std::uint8_t>(EventState::kAcknowledged)) acknowledged_.fetch_add(1);
        continue;
      }
      all_acknowledged = false;
      if (result.reason() == ingest::v1::REJECT_REASON_UNAVAILABLE) {
        ++call.unavailable;
        if (result.message().empty()) ++call.unavailable_without_message;
        if (call.unavailable_message.empty()) call.unavailable_message = result.message();
      } else {
        ++call.other_rejections;
        problem("event " + event.id() + " (" + event.type() + ") rejected " +
                ingest::v1::RejectReason_Name(result.reason()) + " field=" + result.field() + ": " + result.message());
      }
    }
  }
  std::lock_guard lock(mutex_);
  calls_.push_back(std::move(call));
  return all_acknowledged;
}

}  // namespace edfleet::faults
