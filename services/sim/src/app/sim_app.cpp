#include "app/sim_app.h"

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "adapters/grpc_ingest_sender.h"
#include "adapters/http_ingest_sender.h"
#include "adapters/jsonl.h"
#include "adapters/proto_mapping.h"
#include "app/runner.h"
#include "domain/catalogue.h"
#include "domain/pacing.h"
#include "domain/stream_generator.h"
#include "edfleet/core/clock.h"
#include "endpoints.h"

namespace edfleet::sim {

namespace {

using SteadyClock = std::chrono::steady_clock;

class SimulatedStream final : public EventSource {
 public:
  explicit SimulatedStream(StreamSpec spec) : generator_(std::move(spec)) {}
  events::v1::Event next() override { return to_proto(generator_.next()); }

 private:
  StreamGenerator generator_;
};

// Lane `first` of a recorded file: events first, first + stride, ...
class RecordedLane final : public EventSource {
 public:
  RecordedLane(std::shared_ptr<const std::vector<events::v1::Event>> events, std::size_t first, std::size_t stride)
      : events_(std::move(events)), next_(first), stride_(stride) {}
  events::v1::Event next() override {
    events::v1::Event event = (*events_)[next_];
    next_ += stride_;
    return event;
  }

 private:
  std::shared_ptr<const std::vector<events::v1::Event>> events_;
  std::size_t next_;
  std::size_t stride_;
};

const char* target_name(Target target) {
  switch (target) {
    case Target::kGrpc: return "grpc";
    case Target::kHttp: return "http";
    case Target::kJsonl: return "jsonl";
  }
  return "?";
}

// The lanes of a replay: the file's events dealt round-robin over min(streams, events) lanes, which
// keeps the order of a file written by --target jsonl (itself round-robin over the streams) per stream.
core::Result<std::vector<Lane>> replay_lanes(const SimOptions& o, RunReport& report) {
  auto events = read_events_file(o.replay);
  if (!events.ok()) return events.error();
  std::size_t total = events->size();
  if (o.plan.count) total = std::min<std::size_t>(total, *o.plan.count);
  const std::size_t lanes = std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(o.plan.streams), total));
  auto shared = std::make_shared<const std::vector<events::v1::Event>>(std::move(events).value());
  std::vector<Lane> out;
  for (std::size_t i = 0; i < lanes; ++i) {
    std::uint64_t n = total > i ? (total - i + lanes - 1) / lanes : 0;
    if (o.duration_given) n = std::min(n, events_in(o.plan.rate, o.plan.duration));
    out.push_back({std::make_unique<RecordedLane>(shared, i, lanes), n});
  }
  report.mode = "replay";
  report.address = o.replay;
  report.streams = static_cast<int>(lanes);
  return out;
}

core::Result<std::vector<Lane>> simulated_lanes(const SimOptions& o, RunReport& report) {
  auto plan = plan_run(o.plan, core::SystemClock::instance().now());
  if (!plan.ok()) return plan.error();
  std::vector<Lane> out;
  for (const auto& stream : plan->streams) out.push_back({std::make_unique<SimulatedStream>(stream.spec), stream.events});
  report.cohort = plan->cohort;
  report.first_event = plan->first_event;
  report.last_event = plan->last_event;
  for (int t = 0; t < std::min(o.plan.tenants, o.plan.streams); ++t) report.tenants.push_back(tenant_slug(static_cast<std::size_t>(t)));
  return out;
}

// --target jsonl: every lane's events, round-robin by position (deterministic file content).
void write_jsonl(std::vector<Lane>& lanes, std::ostream& file, RunStats& stats, const std::atomic<bool>& stop) {
  std::uint64_t most = 0;
  for (const auto& lane : lanes) most = std::max(most, lane.events);
  for (std::uint64_t k = 0; k < most && !stop.load(std::memory_order_relaxed); ++k) {
    for (auto& lane : lanes) {
      if (k < lane.events) file << to_json(lane.source->next()) << '\n';
    }
    stats.add_written(std::count_if(lanes.begin(), lanes.end(), [k](const Lane& l) { return k < l.events; }));
  }
  file.flush();
}

// Prints a progress line every second until stopped.
class ProgressPrinter {
 public:
  ProgressPrinter(const Runner& runner, SimConsole console, SteadyClock::time_point start)
      : runner_(runner), console_(console), start_(start), thread_([this] { loop(); }) {}
  ~ProgressPrinter() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (console_.err_is_tty && printed_) console_.err << "\n" << std::flush;
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    std::uint64_t last_sent = 0;
    auto last = start_;
    while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) {
      const auto now = SteadyClock::now();
      const RunStats stats = runner_.stats();
      const double rate = static_cast<double>(stats.sent() - last_sent) / std::chrono::duration<double>(now - last).count();
      const std::string line =
          progress_line(std::chrono::duration<double>(now - start_).count(), stats, runner_.planned(), rate);
      if (console_.err_is_tty) {
        console_.err << "\r\x1b[K" << line << std::flush;
      } else {
        console_.err << line << "\n" << std::flush;
      }
      printed_ = true;
      last_sent = stats.sent();
      last = now;
    }
  }

  const Runner& runner_;
  SimConsole console_;
  SteadyClock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  bool printed_ = false;
  std::thread thread_;   // last: starts after the members it uses
};

std::string http_address(const SimOptions& o, std::string& source) {
  if (!o.http.empty()) {
    source = "--http";
    return o.http;
  }
  auto endpoints = cli::read_endpoints_file(o.endpoints_file);
  if (endpoints.ok()) {
    if (const auto* ingest = endpoints->find("ingest"); ingest != nullptr && !ingest->http.empty()) {
      source = "endpoints file " + o.endpoints_file;
      return ingest->http;
    }
  }
  source = "default port";
  return "127.0.0.1:7102";
}

std::string unreachable(const std::string& how, const std::string& address, const std::string& source) {
  return "edfleet sim: ingest not reachable at " + address + " (" + how + ", address from " + source + ")" +
         (source.starts_with("--") ? "\n" : ": is `edfleet up` running?\n");
}

}  // namespace

SimRun run_sim(const SimOptions& o, SimConsole console, const std::atomic<bool>& stop) {
  SimRun run;
  RunReport& report = run.report;
  report.target = target_name(o.target);
  report.streams = o.plan.streams;
  report.rate = o.plan.rate;
  report.seed = o.plan.seed;

  auto lanes = o.replay.empty() ? simulated_lanes(o, report) : replay_lanes(o, report);
  if (!lanes.ok()) {
    console.err << "edfleet sim: " << lanes.error().message << "\n";
    run.exit_code = o.replay.empty() ? kSimExitUsage : kSimExitFailure;
    return run;
  }
  for (const auto& lane : *lanes) report.planned += lane.events;

  const auto start = SteadyClock::now();
  if (o.target == Target::kJsonl) {
    report.address = o.out;
    std::ofstream file;
    if (o.out != "-") {
      file.open(o.out, std::ios::trunc);
      if (!file) {
        console.err << "edfleet sim: cannot write " << o.out << "\n";
        run.exit_code = kSimExitFailure;
        return run;
      }
    }
    write_jsonl(*lanes, o.out == "-" ? console.out : file, report.stats, stop);
    if (!file.is_open() || file.good()) {
      report.elapsed_seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    } else {
      console.err << "edfleet sim: writing " << o.out << " failed\n";
      run.exit_code = kSimExitFailure;
    }
  } else {
    auto secret = cli::internal_auth_secret(o.endpoints_file);
    if (!secret.ok()) {
      console.err << "edfleet sim: " << secret.error().message << "\n";
      run.exit_code = kSimExitFailure;
      return run;
    }
    const identity::IdentitySigner signer(std::move(secret).value(), core::SystemClock::instance(),
                                          std::chrono::seconds(60));
    std::function<std::unique_ptr<EventSender>()> make_sender;
    std::shared_ptr<::grpc::Channel> channel;
    if (o.target == Target::kGrpc) {
      const auto address = cli::resolve_address("ingest", o.ingest, o.endpoints_file);
      report.address = address.address;
      channel = open_ingest_channel(address.address);
      if (!wait_for_ingest(*channel, std::min<std::chrono::milliseconds>(o.timeout, std::chrono::seconds(5)))) {
        console.err << unreachable("gRPC", address.address, address.source);
        run.exit_code = kSimExitFailure;
        return run;
      }
      make_sender = [channel, &o, signer] { return std::make_unique<GrpcIngestSender>(channel, o.timeout, signer); };
    } else {
      std::string source;
      report.address = http_address(o, source);
      if (!HttpIngestSender(report.address, std::min<std::chrono::milliseconds>(o.timeout, std::chrono::seconds(5)),
                            signer)
               .healthy()) {
        console.err << unreachable("HTTP", report.address, source);
        run.exit_code = kSimExitFailure;
        return run;
      }
      make_sender = [&report, &o, signer] {
        return std::make_unique<HttpIngestSender>(report.address, o.timeout, signer);
      };
    }
    RunnerConfig config;
    config.rate = o.plan.rate;
    config.lanes_per_worker = o.streams_per_worker;
    config.batch_size = o.batch_size;
    config.linger = o.linger;
    config.tenant_header = o.tenant_header;
    Runner runner(config, std::move(lanes).value(), make_sender);
    {
      std::optional<ProgressPrinter> progress;
      if (o.progress == ProgressMode::kAlways || (o.progress == ProgressMode::kAuto && console.err_is_tty)) {
        progress.emplace(runner, console, start);
      }
      runner.run(stop);
    }
    report.stats = runner.stats();
    report.elapsed_seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  }
  report.interrupted = stop.load();

  std::ostream& summary = o.target == Target::kJsonl && o.out == "-" ? console.err : console.out;
  if (o.json) {
    summary << report_json(report).dump(2) << "\n";
  } else {
    summary << render_report(report);
  }
  summary.flush();

  if (run.exit_code != kSimExitOk) return run;
  const RunStats& s = report.stats;
  if (report.interrupted) {
    run.exit_code = kSimExitInterrupted;
  } else if (s.sent() < report.planned ||
             (o.target != Target::kJsonl && s.accepted() + s.duplicates() != s.sent())) {
    run.exit_code = kSimExitFailure;
  }
  return run;
}

}  // namespace edfleet::sim
