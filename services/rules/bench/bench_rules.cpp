// edfleet-bench-rules: the rules engine's throughput per core with 10, 100 and 1,000 rules over
// 10k, 100k and 1M keys (in-process, one thread), its memory per million keys, and the event ->
// action latency through Kafka with the real service. One JSON object per line (WAVE 2 protocol).
// Also the per-core cost of repartitioned rules (grouped by course over learner-keyed events).
//
// The rules are generated from eight templates (filters on payload and xAPI fields, sliding and
// tumbling aggregates, absence, sequences); each pins a field to one of many values, as tenants'
// rules do (quiz ids, verbs, call reasons), so an event reaches the few rules that can match it
// through the dispatch index — the same set-up as Esper's 1,000-statement benchmark. One rule in
// a hundred has no pinned value and sees every event of its type.
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "adapters/kafka_action_publisher.h"
#include "domain/engine.h"
#include "edfleet/core/log.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/rules/v1/rules.grpc.pb.h"
#include "edfleet/testing/testing.h"
#include "ports/repartition_publisher.h"
#include "transport/proto_mapping.h"

using namespace edfleet;
using namespace edfleet::rules;
using namespace std::chrono_literals;

namespace {

void emit(const std::string& name, const std::string& metric, double value, const std::string& unit,
          const std::string& goal, std::optional<bool> ok) {
  nlohmann::json line = {{"bench", "rules"}, {"case", name}, {"metric", metric}, {"value", value},
                         {"unit", unit},     {"goal", goal}};
  line["ok"] = ok ? nlohmann::json(*ok) : nlohmann::json(nullptr);
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

// Bytes the allocator has handed out and not got back (glibc accounting): the engine's state,
// measured exactly rather than through RSS, which keeps freed pages.
double heap_mib() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd) / (1024.0 * 1024.0);
}

constexpr int kValues = 125;  // distinct pinned values per template

std::string rule_text(int i) {
  const int v = i / 8 % kValues;
  const std::string n = std::to_string(i);
  const std::string val = std::to_string(v);
  if (i % 100 == 99) {  // unindexed: every quiz event evaluates it
    return "rule u" + n + " on quiz.submitted where score >= 9.5 and passed once per learner_id per 1d then award_badge(\"high\")\n";
  }
  switch (i % 8) {
    case 0:
      return "rule f" + n + " on ops.ib_call_logged where reason == \"r" + val + "\" and duration_seconds > 1150 "
             "then raise_alert(\"long_call\", \"low\")\n";
    case 1:
      return "rule c" + n + " by learner_id let n = count(quiz.submitted where quiz_id == \"q" + val + "\") over sliding 1h "
             "on quiz.submitted where quiz_id == \"q" + val + "\" when n >= 3 cooldown 1h then award_badge(\"q" + val + "\")\n";
    case 2:
      return "rule x" + n + " on xapi.statement where statement.verb.id == \"v" + val + "\" and statement.result.score.scaled >= 0.98 "
             "then notify(learner_id, \"good_work\", [in_app])\n";
    case 3:
      return "rule a" + n + " by learner_id absent xapi.statement where statement.verb.id == \"v" + val + "\" for 1d "
             "then notify(learner_id, \"come_back\", [email])\n";
    case 4:
      return "rule s" + n + " by learner_id let total = sum(quiz.submitted where quiz_id == \"q" + val + "\", score) over tumbling 1d "
             "on quiz.submitted where quiz_id == \"q" + val + "\" when total >= 25 then request_insight(\"busy\")\n";
    case 5:
      return "rule q" + n + " by learner_id sequence ops.session_started where subject_area == \"s" + val + "\" "
             "then ops.session_completed where subject_area == \"s" + val + "\" within 2h then award_badge(\"done\")\n";
    case 6:
      return "rule m" + n + " by learner_id let avg_score = avg(quiz.submitted where quiz_id == \"q" + val + "\", score) over sliding 1d "
             "let best = max(quiz.submitted where quiz_id == \"q" + val + "\", score) over sliding 1d "
             "on quiz.submitted where quiz_id == \"q" + val + "\" when avg_score >= 8 and best >= 9 once per learner_id "
             "then award_badge(\"mastery\")\n";
    default:
      return "rule k" + n + " by learner_id let calls = count(ops.ib_call_logged where reason == \"r" + val + "\") over sliding 14d "
             "on ops.ib_call_logged where reason == \"r" + val + "\" when calls >= 2 then raise_alert(\"spike\", \"medium\")\n";
  }
}

std::shared_ptr<RuleSet> rule_set(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += rule_text(i);
  auto compiled = compile_text(text, "acme", 1, [](std::string_view) { return true; });
  if (!compiled.ok()) {
    std::fprintf(stderr, "bench rules do not compile: %s\n", format_diagnostic(compiled.errors[0]).c_str());
    std::exit(1);
  }
  return std::make_shared<RuleSet>(compiled.rules);
}

// Events: a random learner, a type mix, pinned values drawn from the same value space as the rules.
class EventMaker {
 public:
  EventMaker(int keys, std::uint64_t seed) : keys_(keys), rng_(seed) {}

  Event next(std::int64_t t_us) {
    Event e;
    char id[40];
    std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012llx", 7, static_cast<unsigned long long>(n_++));
    e.id = id;
    e.tenant = "acme";
    e.occurred_at = core::Timestamp{std::chrono::microseconds{t_us}};
    const int kind = static_cast<int>(rng_() % 10);
    const std::string val = std::to_string(rng_() % kValues);
    static const char* kTypes[] = {"quiz.submitted", "quiz.submitted", "quiz.submitted", "xapi.statement",
                                   "xapi.statement", "xapi.statement", "ops.ib_call_logged", "ops.ib_call_logged",
                                   "ops.session_started", "ops.session_completed"};
    e.type = kTypes[kind];
    e.set_subject("learner-" + std::to_string(rng_() % static_cast<std::uint64_t>(keys_)), "", "", "", "bench");
    if (kind < 3) {
      e.set("quiz_id", Value::of("q" + val));
      e.set("score", Value::of(static_cast<double>(rng_() % 11)));
      e.set("max_score", Value::of(10.0));
      e.set("passed", Value::of(rng_() % 2 == 0));
    } else if (kind < 6) {
      e.set("statement.verb.id", Value::of("v" + val));
      e.set("statement.result.score.scaled", Value::of(static_cast<double>(rng_() % 100) / 100.0));
      e.set("statement.object.id", Value::of("course-" + val));
    } else if (kind < 8) {
      e.set("reason", Value::of("r" + val));
      e.set("duration_seconds", Value::of(static_cast<double>(rng_() % 1200)));
    } else {
      e.set("subject_area", Value::of("s" + val));
    }
    return e;
  }

 private:
  int keys_;
  std::mt19937_64 rng_;
  std::uint64_t n_ = 0;
};

struct Throughput {
  double events_per_second = 0;
  double state_mib = 0;
  std::size_t keys = 0;
  std::uint64_t actions = 0;
};

// CPU time of this thread: "per core" stays meaningful on a machine shared with other work.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// One run: enough events that (almost) every key has state, timed in chunks (generation untimed).
Throughput run_engine(int rules, int keys, std::int64_t events_total) {
  core::ManualClock clock(core::Timestamp{std::chrono::seconds{1767571200}});
  EngineOptions options;
  options.allowed_lateness_us = 0;
  options.partitions = 1;
  const double heap_before = heap_mib();
  Throughput result;
  {
    Engine engine(options, clock);
    engine.set_rules(rule_set(rules));
    engine.open_partition(0);
    EventMaker maker(keys, 42);
    std::vector<Action> actions;
    std::int64_t t = clock.now().time_since_epoch().count();
    const std::int64_t step = std::max<std::int64_t>(1, 86'400'000'000LL * 2 / std::max<std::int64_t>(events_total, 1));
    double seconds = 0;
    std::int64_t done = 0;
    constexpr std::int64_t kChunk = 100'000;
    while (done < events_total) {
      std::vector<Event> chunk;
      const std::int64_t n = std::min(kChunk, events_total - done);
      chunk.reserve(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) chunk.push_back(maker.next(t += step));
      const double started = thread_cpu_seconds();
      for (const auto& e : chunk) {
        clock.set(e.occurred_at);
        engine.process(0, e, actions);
        if (actions.size() > 4096) {
          result.actions += actions.size();
          actions.clear();
        }
      }
      seconds += thread_cpu_seconds() - started;
      done += n;
    }
    result.actions += actions.size();
    actions.clear();
    actions.shrink_to_fit();
    result.events_per_second = static_cast<double>(events_total) / seconds;
    result.keys = engine.stats().keys;
    result.state_mib = heap_mib() - heap_before;
  }
  return result;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string human(int n) {
  if (n >= 1'000'000) return std::to_string(n / 1'000'000) + "M";
  if (n >= 1'000) return std::to_string(n / 1'000) + "k";
  return std::to_string(n);
}

void bench_engine(bool quick, int only_rules, int only_keys) {
  std::vector<int> rule_counts = {10, 100, 1000};
  std::vector<int> key_counts = quick ? std::vector<int>{10'000} : std::vector<int>{10'000, 100'000, 1'000'000};
  if (only_rules > 0) rule_counts = {only_rules};
  if (only_keys > 0) key_counts = {only_keys};
  for (int keys : key_counts) {
    for (int rules : rule_counts) {
      const std::int64_t events = quick ? 50'000 : std::max<std::int64_t>(500'000, 2LL * keys);
      const int repeats = quick || keys >= 1'000'000 ? 1 : 3;
      std::vector<double> rates;
      Throughput last;
      for (int r = 0; r < repeats; ++r) {
        last = run_engine(rules, keys, events);
        rates.push_back(last.events_per_second);
      }
      const std::string name = std::to_string(rules) + " rules x " + human(keys) + " keys";
      const double rate = median(rates);
      emit(name, "events/s per core", std::round(rate), "events/s", rules == 1000 ? ">= 200000" : "",
           rules == 1000 ? std::optional<bool>(rate >= 200'000) : std::nullopt);
      emit(name, "actions per 1000 events", std::round(static_cast<double>(last.actions) * 1000.0 / static_cast<double>(events) * 10) / 10,
           "ratio", "", std::nullopt);
      if (keys == key_counts.back()) {
        // State for `last.keys` (rule, key) pairs; scaled to a million keys (learners).
        const double per_million = last.state_mib / static_cast<double>(keys) * 1'000'000.0;
        emit(name, "memory per 1M keys", std::round(per_million * 10) / 10, "MiB", "", std::nullopt);
      }
    }
  }
}

// --- repartitioned rules -----------------------------------------------------------------------------

// Rules grouped by course over learner-keyed quiz events run in two stages (README
// "Repartitioning"): the events stage parses the record and picks the group keys, the repartitioned
// stage parses the forwarded copy again, de-duplicates and evaluates. Both stages' CPU per event in
// one thread (Kafka I/O excluded), against the same rules grouped by learner (one stage, one parse).
double run_repartition(bool by_course, int rules, int keys, std::int64_t events_total) {
  core::ManualClock clock(core::Timestamp{std::chrono::seconds{1767571200}});
  EngineOptions options;
  options.allowed_lateness_us = 0;
  options.partitions = 1;
  std::string text;
  for (int i = 0; i < rules; ++i) {
    const std::string v = std::to_string(i % kValues);
    text += "rule g" + std::to_string(i) + (by_course ? " by course_id" : " by learner_id") +
            " let n = count(quiz.submitted where quiz_id == \"q" + v + "\") over sliding 1h on quiz.submitted where quiz_id == \"q" +
            v + "\" when n >= 3 cooldown 1h then award_badge(\"busy\")\n";
  }
  auto compiled = compile_text(text, "acme", 1, [](std::string_view) { return true; });
  if (!compiled.ok()) {
    std::fprintf(stderr, "bench rules do not compile: %s\n", format_diagnostic(compiled.errors[0]).c_str());
    std::exit(1);
  }
  std::vector<std::shared_ptr<const CompiledRule>> partitioned, repartitioned;
  for (const auto& r : compiled.rules) (r->repartitioned ? repartitioned : partitioned).push_back(r);
  Engine events_stage(options, clock);
  Engine grouped_stage(options, clock);
  events_stage.set_rules(std::make_shared<RuleSet>(partitioned));
  auto forwarding = std::make_shared<RuleSet>(repartitioned);
  grouped_stage.set_rules(forwarding);
  std::mt19937_64 rng(42);
  std::vector<Action> actions;
  std::int64_t t = clock.now().time_since_epoch().count() / 1'000'000;
  double seconds = 0;
  std::int64_t done = 0;
  constexpr std::int64_t kChunk = 50'000;
  while (done < events_total) {
    std::vector<std::string> chunk;
    const std::int64_t n = std::min(kChunk, events_total - done);
    for (std::int64_t i = 0; i < n; ++i) {
      events::v1::Event e;
      char id[40];
      std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012llx", 9, static_cast<unsigned long long>(done + i));
      e.set_id(id);
      e.set_tenant("acme");
      e.set_type("quiz.submitted");
      e.set_source("bench");
      e.mutable_subject()->set_learner_id("learner-" + std::to_string(rng() % static_cast<std::uint64_t>(keys)));
      e.mutable_subject()->set_course_id("course-" + std::to_string(rng() % 1000));
      e.mutable_occurred_at()->set_seconds(++t);
      e.mutable_quiz_submission()->set_quiz_id("q" + std::to_string(rng() % kValues));
      e.mutable_quiz_submission()->set_score(static_cast<double>(rng() % 11));
      chunk.push_back(e.SerializeAsString());
    }
    const double started = thread_cpu_seconds();
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      auto event = parse_event(chunk[i]);
      clock.set(event->occurred_at);
      events_stage.process(0, *event, actions);
      const std::int64_t offset = done + static_cast<std::int64_t>(i);
      for (auto& [group, value] : forwarding->group_keys(*event)) {
        RepartitionRecord record{event->tenant + "/" + value, group, 0, offset, chunk[i]};
        auto forwarded = parse_event(record.event);
        if (grouped_stage.accept_source(0, record.source_partition, record.source_offset, record.group)) {
          grouped_stage.process(0, *forwarded, actions, field_id(record.group));
        }
      }
      if (actions.size() > 4096) actions.clear();
    }
    seconds += thread_cpu_seconds() - started;
    done += n;
  }
  return static_cast<double>(events_total) / seconds;
}

void bench_repartition(bool quick) {
  const int rules = 100;
  const int keys = 10'000;
  const std::int64_t events = quick ? 50'000 : 300'000;
  std::vector<double> one, two;
  for (int r = 0; r < (quick ? 1 : 3); ++r) {
    one.push_back(run_repartition(false, rules, keys, events));
    two.push_back(run_repartition(true, rules, keys, events));
  }
  const std::string name = "100 rules x 10k learners, quiz events parsed from protobuf";
  emit(name, "events/s per core, grouped by learner (one stage)", std::round(median(one)), "events/s", "", std::nullopt);
  emit(name, "events/s per core, grouped by course (repartitioned, both stages)", std::round(median(two)), "events/s", "",
       std::nullopt);
}

// --- event -> action latency through Kafka with the real service -------------------------------

void bench_latency(bool quick) {
  core::log::init("bench", "warn");
  auto& broker = testing::shared_broker();
  const std::string db = testing::fresh_database("rules_bench");
  testing::ServiceProcess service("edfleet-rules",
                                  {{"EDFLEET_RULES_POSTGRES_URL", db},
                                   {"EDFLEET_RULES_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers()},
                                   {"EDFLEET_RULES_RULES_CONSUMER_GROUP", "rules-bench"},
                                   {"EDFLEET_RULES_RULES_REFRESH_INTERVAL", "100ms"},
                                   {"EDFLEET_RULES_LOG_LEVEL", "warn"}});
  auto stub = v1::RulesService::NewStub(
      ::grpc::CreateChannel("127.0.0.1:" + std::to_string(service.grpc_port()), ::grpc::InsecureChannelCredentials()));
  // 100 rules like a tenant's, plus the one every measured event fires, plus a repartitioned one
  // (per course over learner-keyed events) that every measured event fires too.
  for (int i = 0; i <= 101; ++i) {
    ::grpc::ClientContext context;
    edfleet::grpc::set_caller(context, edfleet::testing::identity_signer(), {"acme", "service:tests", ""});
    v1::CreateRuleRequest request;
    request.set_source(i == 100   ? "rule every_call on ops.ib_call_logged where reason == \"bench\" then raise_alert(\"call\", \"low\")"
                       : i == 101 ? "rule every_course by course_id on ops.ib_call_logged where reason == \"bench\" cooldown 1ms "
                                    "then raise_alert(\"course_call\", \"low\")"
                                  : rule_text(i));
    request.set_enabled(true);
    v1::Rule rule;
    auto status = stub->CreateRule(&context, request, &rule);
    if (!status.ok()) {
      std::fprintf(stderr, "CreateRule: %s\n", status.error_message().c_str());
      std::exit(1);
    }
  }
  // Wait for the consumer to be assigned and the rules to be loaded: one probe event fires.
  kafka::ProducerConfig config;
  config.bootstrap_servers = broker.bootstrap_servers();
  config.linger = 1ms;
  kafka::Producer producer(config);
  rules::KafkaTopicScanner actions(broker.bootstrap_servers(), std::string(contracts::kActionsTopic));
  int sequence = 0;
  auto make = [&](const std::string& learner, const std::string& course) {
    events::v1::Event e;
    char id[40];
    std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012x", 0xbe, sequence++);
    e.set_id(id);
    e.set_tenant("acme");
    e.set_type("ops.ib_call_logged");
    e.set_source("bench");
    e.mutable_subject()->set_learner_id(learner);
    e.mutable_subject()->set_course_id(course);
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    e.mutable_occurred_at()->set_seconds(now / 1'000'000);
    e.mutable_occurred_at()->set_nanos(static_cast<int>(now % 1'000'000) * 1000);
    e.mutable_ib_call_logged()->set_reason("bench");
    e.mutable_ib_call_logged()->set_call_id(id);
    return kafka::OutgoingMessage{std::string(contracts::kEventsTopic), "acme/" + learner, e.SerializeAsString(), {}};
  };
  auto count_actions = [&] {
    std::uint64_t n = 0;
    actions.scan([&](std::int32_t, std::string_view, std::int64_t) { ++n; }, 30s);
    return n;
  };
  if (!testing::wait_until([&] {
        producer.produce_and_wait({make("warmup", "warmup")}, 5s);
        return count_actions() > 0;
      }, 60s)) {
    std::fprintf(stderr, "the rules service never fired\n");
    std::exit(1);
  }
  const std::uint64_t before = count_actions();
  const int first_measured = sequence;  // warm-up probes waited for the group to form: not measured
  // A steady stream: `rate` events/s for `seconds`, spread over 1,000 learners.
  const int rate = quick ? 500 : 2000;
  const int seconds = quick ? 2 : 8;
  const auto start = std::chrono::steady_clock::now();
  int sent = 0;
  for (int tick = 0; tick < rate * seconds / 100; ++tick) {
    std::vector<kafka::OutgoingMessage> batch;
    // Each course once per batch: the repartitioned rule's 1 ms cooldown suppresses nothing.
    for (int i = 0; i < 100; ++i) {
      batch.push_back(make("learner-" + std::to_string((sent + i) % 1000), "course-" + std::to_string(i)));
    }
    for (auto& m : batch) producer.produce(std::move(m), [](const kafka::DeliveryReport&) {});
    sent += 100;
    std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<std::int64_t>(sent) * 1'000'000 / rate));
  }
  producer.flush(10s);
  testing::wait_until([&] { return count_actions() >= before + 2 * static_cast<std::uint64_t>(sent); }, 60s);
  std::vector<double> latencies;
  std::vector<double> grouped_latencies;
  actions.scan([&](std::int32_t, std::string_view value, std::int64_t ts_ms) {
    v1::Action a;
    if (!a.ParseFromArray(value.data(), static_cast<int>(value.size()))) return;
    if (a.rule_id() != "every_call" && a.rule_id() != "every_course") return;
    if (a.evidence().event_ids_size() == 0) return;
    const int n = static_cast<int>(std::strtol(a.evidence().event_ids(0).substr(24).c_str(), nullptr, 16));
    if (n < first_measured) return;
    const double fired_ms = static_cast<double>(a.fired_at().seconds()) * 1000.0 + a.fired_at().nanos() / 1e6;
    if (ts_ms > 0) (a.rule_id() == "every_call" ? latencies : grouped_latencies).push_back(static_cast<double>(ts_ms) - fired_ms);
  }, 30s);
  if (std::getenv("EDFLEET_BENCH_DEBUG") != nullptr) {
    for (std::size_t i = 0; i < latencies.size(); i += std::max<std::size_t>(1, latencies.size() / 40)) {
      std::fprintf(stderr, "latency[%zu] = %.1f ms\n", i, latencies[i]);
    }
  }
  auto percentile = [](std::vector<double>& v, int p) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, v.size() * static_cast<std::size_t>(p) / 100)];
  };
  const double p50 = percentile(latencies, 50);
  const double p99 = percentile(latencies, 99);
  const std::string name = std::to_string(rate) + " events/s through Kafka, 102 rules, real service";
  emit(name, "event -> action latency p50", std::round(p50 * 10) / 10, "ms", "", std::nullopt);
  emit(name, "event -> action latency p99", std::round(p99 * 10) / 10, "ms", "<= 100", p99 <= 100);
  const double g50 = percentile(grouped_latencies, 50);
  const double g99 = percentile(grouped_latencies, 99);
  emit(name, "event -> action latency p50, repartitioned rule", std::round(g50 * 10) / 10, "ms", "", std::nullopt);
  emit(name, "event -> action latency p99, repartitioned rule", std::round(g99 * 10) / 10, "ms", "<= 100", g99 <= 100);
  service.kill(SIGTERM);
  service.wait();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  bool latency = true;
  bool engine = true;
  int only_rules = 0;
  int only_keys = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") quick = true;
    else if (arg == "--case" && i + 2 < argc) {  // one engine case: --case RULES KEYS
      only_rules = std::atoi(argv[++i]);
      only_keys = std::atoi(argv[++i]);
      latency = false;
    }
    else if (arg == "--engine-only") latency = false;
    else if (arg == "--latency-only") engine = false;
    else {
      std::fprintf(stderr, "usage: edfleet-bench-rules [--quick] [--engine-only | --latency-only | --case RULES KEYS]\n");
      return 2;
    }
  }
  if (engine) bench_engine(quick, only_rules, only_keys);
  if (engine && only_rules == 0) bench_repartition(quick);
  if (latency) bench_latency(quick);
  return 0;
}
