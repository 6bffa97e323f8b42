#include "edfleet/testing/internal_auth.h"
#include "statement_run.h"

#include <algorithm>
#include <cstdio>

#include <httplib.h>

#include "edfleet/testing/wait.h"

namespace edfleet::faults {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string uuid(std::uint64_t high, std::uint64_t low) {
  char text[40];
  std::snprintf(text, sizeof text, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                static_cast<unsigned long long>(high >> 32), static_cast<unsigned long long>((high >> 16) & 0xffff),
                static_cast<unsigned long long>(high & 0xfff), static_cast<unsigned long long>(low >> 52),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

std::int64_t micros_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const std::vector<std::string>& statement_verbs() {
  static const std::vector<std::string> verbs = {
      "http://adlnet.gov/expapi/verbs/attempted", "http://adlnet.gov/expapi/verbs/completed",
      "http://adlnet.gov/expapi/verbs/passed", "http://adlnet.gov/expapi/verbs/experienced"};
  return verbs;
}

std::string learner_mbox(std::size_t k) { return "mailto:learner-" + std::to_string(k) + "@faults.example.com"; }

std::vector<json> make_statements(std::size_t count, std::uint64_t seed) {
  const auto& verbs = statement_verbs();
  std::vector<json> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t learner = i % kLearners;
    const std::string& verb = verbs[(i / kLearners) % verbs.size()];
    const std::size_t unit = (i * 7) % 25;
    out.push_back(json{
        {"id", uuid(seed * 0x9e3779b97f4a7c15ULL + i, 0xfa017ULL * (i + 1) + seed)},
        {"actor",
         {{"objectType", "Agent"}, {"name", "Learner " + std::to_string(learner)}, {"mbox", learner_mbox(learner)}}},
        {"verb", {{"id", verb}, {"display", {{"en-US", verb.substr(verb.rfind('/') + 1)}}}}},
        {"object",
         {{"objectType", "Activity"},
          {"id", "https://lms.example.com/faults/course-" + std::to_string(unit % 5) + "/unit-" + std::to_string(unit)},
          {"definition",
           {{"name", {{"en-US", "Unit " + std::to_string(unit)}, {"fr-FR", "Unité " + std::to_string(unit)}}},
            {"type", "http://adlnet.gov/expapi/activities/lesson"}}}}},
        {"result", {{"score", {{"raw", static_cast<int>(i % 101)}, {"min", 0}, {"max", 100}}}, {"success", i % 3 != 0},
                    {"duration", "PT" + std::to_string(30 + i % 600) + "S"}}},
        {"context",
         {{"registration", uuid(0x7e6157a7ULL + learner, seed)},
          {"platform", "edfleet fault test"},
          {"contextActivities",
           {{"parent", {{{"id", "https://lms.example.com/faults/course-" + std::to_string(unit % 5)}}}}}}}}});
  }
  return out;
}

StatementRun::StatementRun(std::vector<json> statements, LrsEndpoint& endpoint, StatementRunOptions options)
    : statements_(std::move(statements)),
      endpoint_(endpoint),
      options_(options),
      states_(std::make_unique<std::atomic<std::uint8_t>[]>(statements_.size())),
      acknowledged_at_(std::make_unique<std::atomic<std::int64_t>[]>(statements_.size())) {
  for (std::size_t i = 0; i < statements_.size(); ++i) {
    states_[i].store(0);
    acknowledged_at_[i].store(0);
    ids_.push_back(statements_[i]["id"].get<std::string>());
    texts_.push_back(statements_[i].dump());
  }
  for (std::size_t begin = 0, n = 0; begin < statements_.size(); ++n) {
    const bool put = options_.put_every > 0 && n % options_.put_every == options_.put_every - 1;
    const std::size_t end = put ? begin + 1 : std::min(begin + options_.batch_size, statements_.size());
    requests_.push_back({put, begin, end});
    begin = end;
  }
}

StatementRun::~StatementRun() { stop_and_join(); }

void StatementRun::stop_and_join() {
  stop_.store(true);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void StatementRun::start() {
  started_ = SteadyClock::now();
  for (int c = 0; c < options_.clients; ++c) threads_.emplace_back([this, c] { client(c); });
}

bool StatementRun::finish(std::chrono::milliseconds timeout) {
  const bool done = testing::wait_until([&] { return requests_done_.load() == requests_.size(); }, timeout);
  stop_and_join();
  return done;
}

std::size_t StatementRun::put_count() const {
  return static_cast<std::size_t>(
      std::count_if(requests_.begin(), requests_.end(), [](const Request& r) { return r.put; }));
}

std::size_t StatementRun::count(StatementState wanted) const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < statements_.size(); ++i) n += state(i) == wanted ? 1 : 0;
  return n;
}

std::chrono::system_clock::time_point StatementRun::acknowledged_at(std::size_t statement) const {
  return std::chrono::system_clock::time_point(std::chrono::microseconds(acknowledged_at_[statement].load()));
}

StatementRun::Log StatementRun::log() const {
  std::lock_guard lock(log_mutex_);
  return log_;
}

std::chrono::milliseconds StatementRun::since_start() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started_);
}

void StatementRun::client(int c) {
  // Client c sends requests c, c + clients, ... in order. Its pause after a failed request is a
  // client's backoff (not a wait for a condition): it keeps a client from hammering a dead ingest, and
  // the one that gives up from giving up on all its requests within the outage.
  const bool gives_up = c < options_.one_shot_clients;
  auto pause = options_.first_backoff;
  for (auto r = static_cast<std::size_t>(c); r < requests_.size(); r += static_cast<std::size_t>(options_.clients)) {
    for (int sent = 0; !stop_.load(); ++sent) {
      if (sent == 1) resent_requests_.fetch_add(1);
      if (send(requests_[r], gives_up)) {
        pause = options_.first_backoff;
        break;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, options_.max_backoff);
      if (gives_up) break;
    }
    if (stop_.load()) return;   // an unfinished request stays as it is: finish() reports it
    requests_done_.fetch_add(1);
  }
}

bool StatementRun::send(const Request& request, bool one_shot) {
  std::string body;
  if (request.put) {
    body = texts_[request.begin];
  } else {
    body = "[";
    for (std::size_t i = request.begin; i < request.end; ++i) body += (i > request.begin ? "," : "") + texts_[i];
    body += "]";
  }
  for (std::size_t i = request.begin; i < request.end; ++i) {
    // Sent at least once: from now on Kafka may have it, whatever the answer.
    std::uint8_t not_sent = static_cast<std::uint8_t>(StatementState::kNotSent);
    states_[i].compare_exchange_strong(not_sent, static_cast<std::uint8_t>(StatementState::kUnacknowledged));
  }
  // A new connection per request: after the kill, a pooled one would be dead, and the port changes.
  httplib::Client http("127.0.0.1", endpoint_.port());
  http.set_connection_timeout(std::chrono::seconds(2));
  http.set_read_timeout(options_.request_timeout);
  http.set_write_timeout(options_.request_timeout);
  // PUTs speak 2.0, batches 1.0.3: both versions go through the same store.
  const auto headers = edfleet::testing::with_identity<httplib::Headers>(
      {kLrsTenant, "fault-client", ""}, {{"X-Experience-API-Version", request.put ? "2.0.0" : "1.0.3"}});
  LrsCall call;
  call.put = request.put;
  call.one_shot = one_shot;
  call.statements = request.end - request.begin;
  call.started = SteadyClock::now();
  const auto answer = request.put ? http.Put(("/xapi/statements?statementId=" + ids_[request.begin]).c_str(), headers,
                                             body, "application/json")
                                  : http.Post("/xapi/statements", headers, body, "application/json");
  call.ended = SteadyClock::now();
  std::string unexpected;
  bool acknowledged = false;
  if (!answer) {
    call.error = httplib::to_string(answer.error());
  } else {
    call.status = answer->status;
    if (call.status == 204 && request.put) {
      acknowledged = true;
    } else if (call.status == 200 && !request.put) {
      const json ids = json::parse(answer->body, nullptr, false);
      acknowledged = ids.is_array() && ids.size() == call.statements;
      for (std::size_t k = 0; acknowledged && k < call.statements; ++k) {
        acknowledged = ids[k].is_string() && ids[k].get<std::string>() == ids_[request.begin + k];
      }
      if (!acknowledged) {
        unexpected = "a 200 answer does not list the batch's ids in order: " + answer->body.substr(0, 300);
      }
    } else if (call.status != 503) {
      call.error = answer->body.substr(0, 300);
      unexpected =
          "status " + std::to_string(call.status) + " for a " + (request.put ? "PUT" : "POST") + ": " + call.error;
    }
  }
  if (acknowledged) {
    const std::int64_t now = micros_now();
    for (std::size_t i = request.begin; i < request.end; ++i) {
      const auto before = states_[i].exchange(static_cast<std::uint8_t>(StatementState::kAcknowledged));
      if (before != static_cast<std::uint8_t>(StatementState::kAcknowledged)) {
        acknowledged_at_[i].store(now);
        acknowledged_.fetch_add(1);
      }
    }
  }
  // Done with the request when acknowledged, or on an answer no retry changes; a client tries again
  // only after failures it can expect to pass (no answer, 503).
  const bool done = acknowledged || (call.status != 0 && call.status != 503);
  std::lock_guard lock(log_mutex_);
  log_.calls.push_back(std::move(call));
  if (!unexpected.empty() && log_.problems.size() < 50) log_.problems.push_back(std::move(unexpected));
  return done;
}

}  // namespace edfleet::faults
