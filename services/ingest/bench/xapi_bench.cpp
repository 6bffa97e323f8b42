// edfleet-bench-xapi: the xAPI LRS in edfleet-ingest (issue #5, item 6). Statements acknowledged per
// second over HTTP (POST /xapi/statements straight to ingest, batches of 1 and of 100, 16 keep-alive
// connections), the materialiser's rows per second (a loaded topic into Postgres) and GET query
// latency over a store of a million statements. Prints JSON rows (tests/bench/README.md).
#include <librdkafka/rdkafka.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "adapters/pg_statement_store.h"
#include "bench_statements.h"
#include "edfleet/bench/bench.h"
#include "edfleet/core/log.h"
#include "edfleet/core/time_format.h"
#include "edfleet/kafka/consumer.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/pg/pool.h"
#include "edfleet/testing/testing.h"
#include "fleet.h"
#include "http_client.h"
#include "ingest_app.h"
#include "statement_store_loader.h"
#include "transport/xapi_materialiser.h"

namespace edfleet::bench::xapi {
namespace {

constexpr const char* kArea = "xapi";
constexpr const char* kPostTenant = "bench-post";
constexpr int kConnections = 16;
constexpr double kPacedRate = 1000;  // single-statement POSTs/s for the latency case (ingest sustains ~2,000 here)

struct Sizes {
  double post_seconds = 8;  // per case and round
  double warmup_seconds = 2;
  int rounds = 3;
  std::int64_t store_statements = 1000000;
  int queries = 1000;  // per query kind
  int query_warmup = 50;
  int materialiser_rounds = 3;
};

Sizes quick_sizes() {
  Sizes s;
  s.post_seconds = 0.5;
  s.warmup_seconds = 0.2;
  s.rounds = 1;
  s.store_statements = 5000;
  s.queries = 30;
  s.query_warmup = 5;
  s.materialiser_rounds = 1;
  return s;
}

std::string with_commas(double value) {
  std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
  return digits;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

void emit_row(const std::string& case_name, const std::string& metric, double value, const std::string& unit,
              const std::string& goal = "", std::optional<bool> ok = std::nullopt) {
  emit({kArea, case_name, metric, value, unit, goal, ok});
}

std::string request_head(const std::string& method_and_target, const std::string& user) {
  return method_and_target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + base64(user + ":secret") +
         "\r\nX-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\n";
}

// ---- POST /xapi/statements: closed loop on kConnections keep-alive connections ----

struct PostRun {
  std::vector<double> latencies_ms;  // one per request
  std::vector<double> slow_at_s;     // when (seconds into the run) requests slower than 250 ms were sent
  std::int64_t statements = 0;       // acknowledged (200)
  std::int64_t errors = 0;           // requests not answered 200
  std::string first_error;
  double seconds = 0;
  double ingest_cores = 0;  // ingest's CPU seconds / wall seconds
  double broker_cores = 0;
  double postgres_cores = 0;  // postmaster and backends
  double client_cores = 0;    // this benchmark
  double machine_cores = 0;   // the whole machine's, other users included
  int reconnects = 0;
  double rate() const { return static_cast<double>(statements) / seconds; }
  double requests_per_second() const { return static_cast<double>(latencies_ms.size()) / seconds; }
};

// The processes whose CPU use is reported next to each run.
struct Pids {
  int ingest = 0;
  int broker = 0;
  int postgres = 0;
};

int postmaster_pid(const pg::EmbeddedPostgres& postgres) {
  std::ifstream file(postgres.data_dir() + "/postmaster.pid");
  int pid = 0;
  file >> pid;
  return pid;
}

// Closed loop (each connection sends its next request when the last is answered) when `rate` is 0;
// otherwise open loop at `rate` requests/s over all connections, latency from each request's
// scheduled time (so waiting behind a slow answer counts).
PostRun post_run(int port, int batch, double seconds, const Pids& pids, std::uint64_t seed, double rate = 0) {
  const std::string head = request_head("POST /xapi/statements", "bench");
  PostRun run;
  std::mutex mutex;
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<BodySource>> sources;
  for (int c = 0; c < kConnections; ++c) {
    sources.push_back(std::make_unique<BodySource>(Population{}, batch, seed * 1000 + static_cast<std::uint64_t>(c),
                                                   batch == 1 ? 256 : 4));
  }
  const double ingest_before = cpu_seconds(pids.ingest), broker_before = cpu_seconds(pids.broker),
               postgres_before = cpu_seconds_with_children(pids.postgres), client_before = cpu_seconds(::getpid()),
               busy_before = machine_busy_seconds();
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      HttpConnection connection(port);
      BodySource& bodies = *sources[static_cast<std::size_t>(c)];
      std::vector<double> latencies, slow;
      latencies.reserve(200000);
      std::int64_t statements = 0, errors = 0;
      std::string error;
      const auto interval =
          rate > 0 ? std::chrono::duration<double>(kConnections / rate) : std::chrono::duration<double>(0);
      auto scheduled =
          started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval * c / kConnections);
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string& body = bodies.next();
        if (rate > 0) {
          std::this_thread::sleep_until(scheduled);
          if (stop.load(std::memory_order_relaxed)) break;
        }
        const auto sent = rate > 0 ? scheduled : std::chrono::steady_clock::now();
        scheduled += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
        HttpResponse response;
        try {
          response = connection.request(head, body);
        } catch (const std::exception& e) {
          response.status = 0;
          response.body = e.what();
        }
        latencies.push_back(elapsed_ms(sent));
        if (latencies.back() > 250) slow.push_back(std::chrono::duration<double>(sent - started).count());
        if (response.status == 200) {
          statements += batch;
        } else {
          ++errors;
          if (error.empty()) error = std::to_string(response.status) + " " + response.body.substr(0, 300);
        }
      }
      std::lock_guard lock(mutex);
      run.latencies_ms.insert(run.latencies_ms.end(), latencies.begin(), latencies.end());
      run.slow_at_s.insert(run.slow_at_s.end(), slow.begin(), slow.end());
      run.statements += statements;
      run.errors += errors;
      run.reconnects += connection.reconnects();
      if (run.first_error.empty()) run.first_error = error;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& thread : threads) thread.join();
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  run.ingest_cores = (cpu_seconds(pids.ingest) - ingest_before) / run.seconds;
  run.broker_cores = (cpu_seconds(pids.broker) - broker_before) / run.seconds;
  run.postgres_cores = (cpu_seconds_with_children(pids.postgres) - postgres_before) / run.seconds;
  run.client_cores = (cpu_seconds(::getpid()) - client_before) / run.seconds;
  run.machine_cores = (machine_busy_seconds() - busy_before) / run.seconds;
  return run;
}

struct PostFigures {
  std::vector<double> rate, requests, p50, p99, ingest_cores, broker_cores, postgres_cores, client_cores, machine_cores;
  std::int64_t errors = 0;
  int reconnects = 0;
  std::string first_error;
};

// ---- Kafka: how many records the topic holds (what a new consumer reads from earliest) ----

struct TopicSpan {
  std::int64_t retained = 0;  // sum of high - low
  std::int64_t end = 0;       // sum of high
};

TopicSpan topic_span(const std::string& bootstrap, const std::string& topic) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (rk == nullptr) throw std::runtime_error(std::string("kafka client: ") + error);
  struct Destroy {
    rd_kafka_t* rk;
    ~Destroy() { rd_kafka_destroy(rk); }
  } destroy{rk};
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &metadata, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1) {
    rd_kafka_topic_destroy(rkt);
    throw std::runtime_error("no metadata for " + topic);
  }
  TopicSpan span;
  for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
    std::int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), metadata->topics[0].partitions[p].id, &low, &high, 10000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("no watermarks for " + topic);
    }
    span.retained += high - low;
    span.end += high;
  }
  rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(rkt);
  return span;
}

std::int64_t scalar(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction work(connection);
  const auto rows = work.exec(sql);
  return rows.empty() || rows[0][0].is_null() ? 0 : rows[0][0].as<std::int64_t>();
}

// ---- The materialiser, in this process, over the records the topic holds ----

struct MaterialiserRun {
  double first_row_seconds = 0;  // loop started -> first row visible (group join, assignment)
  double rows_per_second = 0;    // first row -> last row
  double total_seconds = 0;
};

MaterialiserRun materialise_once(const std::string& bootstrap, std::int64_t expected, int round) {
  const std::string url = testing::fresh_database("bench_xapi_materialiser");
  {
    pqxx::connection connection(url);
    pg::apply_migrations(connection, "ingest", ingest::migrations());
  }
  // The same objects and consumer settings as IngestApp, with a group of its own.
  pg::ConnectionPool pool(url, 8);
  ingest::PgStatementStore store(pool);
  core::SystemClock& clock = core::SystemClock::instance();
  ingest::xapi::ConsistencyTracker consistency(clock);
  ingest::XapiMaterialiser materialiser(store, consistency, ingest::xapi::StoreSettings{}.source);
  kafka::ProducerConfig producer_config;
  producer_config.bootstrap_servers = bootstrap;
  kafka::Producer producer(producer_config);
  kafka::ConsumerConfig consumer;
  consumer.bootstrap_servers = bootstrap;
  consumer.group_id = "bench-xapi-materialiser-" + std::to_string(round);
  consumer.topics = {std::string(contracts::kEventsTopic)};
  consumer.client_id = "bench-xapi-materialiser";
  kafka::ConsumerLoop loop(consumer, materialiser, producer);

  pqxx::connection counter(url);
  const auto count = [&] {
    pqxx::nontransaction work(counter);
    return work.exec("SELECT count(*) FROM xapi_statements")[0][0].as<std::int64_t>();
  };
  const auto started = std::chrono::steady_clock::now();
  std::thread thread([&] { loop.run(); });
  std::optional<std::chrono::steady_clock::time_point> first;
  std::int64_t rows = 0;
  const auto deadline = started + std::chrono::seconds(300);
  while (std::chrono::steady_clock::now() < deadline) {
    rows = count();
    if (rows > 0 && !first) first = std::chrono::steady_clock::now();
    if (rows >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto done = std::chrono::steady_clock::now();
  loop.stop();
  thread.join();
  if (rows < expected) {
    throw std::runtime_error("the materialiser wrote " + std::to_string(rows) + " of " + std::to_string(expected) +
                             " rows within 300 s");
  }
  MaterialiserRun run;
  run.first_row_seconds = std::chrono::duration<double>(*first - started).count();
  run.total_seconds = std::chrono::duration<double>(done - started).count();
  run.rows_per_second = static_cast<double>(expected) / std::chrono::duration<double>(done - *first).count();
  return run;
}

// ---- GET /xapi/statements over the loaded store ----

struct QueryKind {
  std::string name;
  std::function<std::string(std::mt19937_64&)> target;
};

int count_statements(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("statements")) return static_cast<int>(parsed["statements"].size());
  return parsed.is_object() && parsed.contains("id") ? 1 : -1;
}

int run(int argc, char** argv) {
  const auto options = parse_options(
      argc, argv, kArea,
      "The real edfleet-ingest (log level info, as shipped) on one edfleet-broker and PostgreSQL 15 (shared_buffers "
      "1 GB, fsync off). POST /xapi/statements straight to ingest (HTTP Basic, xAPI 1.0.3) with realistic statements "
      "of about 1.5 KB (account actor, verb display, activity definition, result with score and duration, context "
      "with registration, contextActivities and extensions), each with a new id, on 16 keep-alive connections: single "
      "statements "
      "paced at 1,000 requests/s (open loop, after ingest's own materialiser has caught up), then closed loop in "
      "batches of 1 and of 100; 8 s per case after a 2 s warm-up, the cases interleaved in 3 rounds, medians "
      "reported; latency per request from (scheduled) send to the whole answer. Then the materialiser (the same "
      "objects and consumer settings as in ingest, run in the benchmark process with a group of its own) reading "
      "every record the topic retains into a fresh database, 3 times. Then GET /xapi/statements from one "
      "connection, 1,000 calls per kind, over 1,000,000 statements bulk-loaded by COPY into ingest's own schema "
      "(not through the materialiser; rows as it writes them, the related-agents/activities table empty) in one "
      "tenant. Clients, services, broker and PostgreSQL share this 2-CPU machine. --quick: 5,000 statements "
      "stored, 0.5 s per case, one round, the materialiser measured at once.\n\n"
      "Environment: EDFLEET_BENCH_XAPI_STORE=N changes the number of statements stored for the GET queries; "
      "EDFLEET_BENCH_XAPI_POST_MS=N the milliseconds per POST case (e.g. to profile ingest meanwhile).");
  core::log::init("bench", "warn");
  Sizes sizes = options.quick ? quick_sizes() : Sizes{};
  sizes.store_statements = env_int("EDFLEET_BENCH_XAPI_STORE", sizes.store_statements);
  sizes.post_seconds =
      static_cast<double>(env_int("EDFLEET_BENCH_XAPI_POST_MS", static_cast<std::int64_t>(sizes.post_seconds * 1000))) /
      1000;
  progress(std::string(options.quick ? "quick run" : "full run") + "; " + load_average());

  if (!options.quick) tune_postgres(testing::shared_postgres());
  postgres_started();

  // The store for the GET queries, loaded before ingest starts (it is the database ingest uses).
  const std::string url = testing::fresh_database("bench_xapi");
  StoreLayout layout;
  layout.statements = sizes.store_statements;
  layout.last_stored = std::chrono::time_point_cast<std::chrono::microseconds>(core::SystemClock::instance().now()) -
                       std::chrono::hours(1);
  progress("loading " + with_commas(static_cast<double>(layout.statements)) + " statements by COPY");
  const LoadFigures load = load_statement_store(url, layout);
  const std::string stored_text = with_commas(static_cast<double>(layout.statements)) + " statements stored";
  progress("loaded: COPY " + fixed(load.copy_seconds, 1) + " s, indexes " + fixed(load.index_seconds, 1) + " s, " +
           fixed(load.table_mib, 0) + " MiB");

  BrokerProcess broker;
  Tracked tracked_broker(broker.pid());
  auto env = service_env("ingest", broker.bootstrap_servers(), url);
  env["EDFLEET_INGEST_XAPI_BASIC_CREDENTIALS"] =
      std::string("bench=") + kPostTenant + ":secret,reader=" + layout.tenant + ":secret";
  testing::ServiceProcess ingest("edfleet-ingest", env);
  Tracked tracked_ingest(ingest.pid());
  const int port = ingest.http_port();
  progress("edfleet-ingest pid " + std::to_string(ingest.pid()) + ", http port " + std::to_string(port));

  // 1. POST throughput and latency.
  // Closed loop (as fast as answered) with batches of 1 and 100, and single statements paced at a rate
  // ingest sustains here, for latency without queueing.
  struct PostCase {
    int batch;
    double rate;  // 0: closed loop
  };
  const std::vector<PostCase> cases = {{1, kPacedRate}, {1, 0}, {100, 0}};
  const std::string topic(contracts::kEventsTopic);
  // Ingest's own materialiser falls behind during the closed-loop runs; the paced run and the
  // materialiser measurement wait until it has caught up, so its backlog does not load the machine.
  const auto wait_materialiser_idle = [&] {
    const TopicSpan span = topic_span(broker.bootstrap_servers(), topic);
    testing::wait_until(
        [&] { return scalar(url, "SELECT coalesce(sum(next_offset), 0) FROM xapi_materialiser_offsets") >= span.end; },
        std::chrono::seconds(120));
  };
  std::vector<PostFigures> post(cases.size());
  std::uint64_t seed = 1;
  const Pids pids{ingest.pid(), broker.pid(), postmaster_pid(testing::shared_postgres())};
  progress("postmaster pid " + std::to_string(pids.postgres) + ", edfleet-broker pid " + std::to_string(pids.broker));
  for (const int batch : {1, 100}) post_run(port, batch, sizes.warmup_seconds, pids, seed++);
  for (int round = 0; round < sizes.rounds; ++round) {
    for (std::size_t k = 0; k < cases.size(); ++k) {
      const int batch = cases[k].batch;
      if (cases[k].rate > 0 && !options.quick) wait_materialiser_idle();
      const PostRun r = post_run(port, batch, sizes.post_seconds, pids, seed++, cases[k].rate);
      auto& f = post[k];
      f.rate.push_back(r.rate());
      f.requests.push_back(r.requests_per_second());
      f.p50.push_back(quantile(r.latencies_ms, 0.5));
      f.p99.push_back(quantile(r.latencies_ms, 0.99));
      f.ingest_cores.push_back(r.ingest_cores);
      f.broker_cores.push_back(r.broker_cores);
      f.postgres_cores.push_back(r.postgres_cores);
      f.client_cores.push_back(r.client_cores);
      f.machine_cores.push_back(r.machine_cores);
      f.errors += r.errors;
      f.reconnects += r.reconnects;
      if (f.first_error.empty()) f.first_error = r.first_error;
      progress("POST batch " + std::to_string(batch) +
               (cases[k].rate > 0 ? " paced at " + with_commas(cases[k].rate) + "/s" : std::string()) + " round " +
               std::to_string(round + 1) + ": " + with_commas(r.rate()) + " statements/s, " +
               with_commas(r.requests_per_second()) + " requests/s, p50 " + fixed(quantile(r.latencies_ms, 0.5), 2) +
               " ms, p99 " + fixed(quantile(r.latencies_ms, 0.99), 2) + " ms, errors " + std::to_string(r.errors) +
               ", cores: ingest " + fixed(r.ingest_cores, 2) + " broker " + fixed(r.broker_cores, 2) + " postgres " +
               fixed(r.postgres_cores, 2) + " client " + fixed(r.client_cores, 2) + " machine " +
               fixed(r.machine_cores, 2) + ", reconnects " + std::to_string(r.reconnects) +
               ", over 250 ms: " + std::to_string(r.slow_at_s.size()) +
               (r.slow_at_s.empty()
                    ? std::string()
                    : " (sent " + fixed(*std::min_element(r.slow_at_s.begin(), r.slow_at_s.end()), 2) + "-" +
                          fixed(*std::max_element(r.slow_at_s.begin(), r.slow_at_s.end()), 2) + " s into the run)") +
               (r.first_error.empty() ? "" : ", first error: " + r.first_error));
    }
  }
  const std::string rounds_text =
      sizes.rounds == 1 ? "1 round" : "median of " + std::to_string(sizes.rounds) + " rounds";
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const auto& f = post[k];
    const int batch = cases[k].batch;
    const bool paced = cases[k].rate > 0;
    const std::string name =
        "POST /xapi/statements, " + std::string(batch == 1 ? "1 statement" : "batches of 100 statements") + " (~" +
        with_commas(BodySource(Population{}, 1, 7, 64).mean_statement_bytes()) +
        " B each), 16 keep-alive connections, " +
        (paced ? "paced at " + with_commas(cases[k].rate) + " requests/s (open loop, latency from the scheduled send)"
               : std::string("closed loop")) +
        ", " + fixed(sizes.post_seconds, sizes.post_seconds < 1 ? 1 : 0) + " s, " + rounds_text;
    const double rate = median(f.rate), p99 = median(f.p99);
    if (paced) {
      emit_row(name, "requests/s achieved", median(f.requests), "req/s");
      emit_row(name, "p50 latency", median(f.p50), "ms");
      emit_row(name, "p99 latency", p99, "ms");
    } else if (batch == 1) {
      emit_row(name, "POSTs/s acknowledged", median(f.requests), "req/s", ">= 10000",
               options.quick ? std::nullopt : std::optional<bool>(median(f.requests) >= 10000 && f.errors == 0));
      emit_row(name, "p50 latency", median(f.p50), "ms");
      emit_row(name, "p99 latency", p99, "ms", "< 5", options.quick ? std::nullopt : std::optional<bool>(p99 < 5));
    } else {
      emit_row(name, "statements/s acknowledged", rate, "statements/s", ">= 30000",
               options.quick ? std::nullopt : std::optional<bool>(rate >= 30000 && f.errors == 0));
      emit_row(name, "requests/s", median(f.requests), "req/s");
      emit_row(name, "p50 latency", median(f.p50), "ms");
      emit_row(name, "p99 latency", p99, "ms");
    }
    emit_row(name, "requests not answered 200", static_cast<double>(f.errors), "count", "0",
             std::optional<bool>(f.errors == 0));
    emit_row(name, "CPU: edfleet-ingest", median(f.ingest_cores), "cores");
    emit_row(name, "CPU: edfleet-broker", median(f.broker_cores), "cores");
    emit_row(name, "CPU: PostgreSQL (postmaster + backends)", median(f.postgres_cores), "cores");
    emit_row(name, "CPU: this benchmark (clients)", median(f.client_cores), "cores");
    emit_row(name, "CPU: whole machine (2 CPUs), other users included", median(f.machine_cores), "cores");
  }

  // 2. The materialiser. Ingest's own materialiser ran during the POST runs; let it finish first so
  // that the measured one has the machine (it reads from the earliest record retained).
  const TopicSpan span = topic_span(broker.bootstrap_servers(), topic);
  if (!options.quick) wait_materialiser_idle();
  std::vector<double> rates, firsts;
  for (int round = 0; round < sizes.materialiser_rounds; ++round) {
    const MaterialiserRun m = materialise_once(broker.bootstrap_servers(), span.retained, round);
    rates.push_back(m.rows_per_second);
    firsts.push_back(m.first_row_seconds);
    progress("materialiser round " + std::to_string(round + 1) + ": " + with_commas(m.rows_per_second) +
             " rows/s, first row after " + fixed(m.first_row_seconds, 2) + " s, all " +
             with_commas(static_cast<double>(span.retained)) + " after " + fixed(m.total_seconds, 2) + " s");
  }
  const std::string mat_name =
      "materialiser: " + with_commas(static_cast<double>(span.retained)) +
      " xapi.statement records on edfleet.events.v1 -> a fresh database (row count polled "
      "every 10 ms), " +
      (sizes.materialiser_rounds == 1 ? std::string("1 run")
                                      : "median of " + std::to_string(sizes.materialiser_rounds) + " runs");
  emit_row(mat_name, "rows/s (first row -> last row)", median(rates), "rows/s");
  emit_row(mat_name, "start -> first row (group join, assignment)", median(firsts), "s");

  // 3. GET queries over the loaded store.
  emit_row("store set-up: " + stored_text + " (one tenant, " + with_commas(layout.population.learners) + " learners, " +
               with_commas(layout.population.activities) + " activities, " + std::to_string(layout.population.verbs) +
               " verbs, " + with_commas(layout.population.registrations) +
               " registrations, stored over 30 days) generated and COPYed into xapi_statements",
           "load time", load.copy_seconds, "s");
  emit_row("store set-up: primary key and the 6 indexes of migrations/0002 rebuilt after COPY, VACUUM ANALYZE",
           "index time", load.index_seconds, "s");
  emit_row("store set-up: xapi_statements with its indexes", "size", load.table_mib, "MiB");

  const auto& population = layout.population;
  const auto pick = [](std::mt19937_64& random, int n) {
    return static_cast<int>(random() % static_cast<std::uint64_t>(n));
  };
  const std::vector<QueryKind> kinds = {
      {"statementId",
       [&](std::mt19937_64& r) {
         return "statementId=" +
                layout.statement_id(static_cast<std::int64_t>(r() % static_cast<std::uint64_t>(layout.statements)));
       }},
      {"agent (a learner's statements)",
       [&](std::mt19937_64& r) { return "agent=" + url_encode(learner_agent_json(pick(r, population.learners))); }},
      {"verb", [&](std::mt19937_64& r) { return "verb=" + url_encode(verb_id(pick(r, population.verbs))); }},
      {"activity",
       [&](std::mt19937_64& r) { return "activity=" + url_encode(activity_id(pick(r, population.activities))); }},
      {"registration",
       [&](std::mt19937_64& r) { return "registration=" + registration_id(pick(r, population.registrations)); }},
      {"since (a point in the last hour of the store)",
       [&](std::mt19937_64& r) {
         const auto since = layout.last_stored - std::chrono::seconds(60 + static_cast<int>(r() % 3540));
         return "since=" + url_encode(core::format_rfc3339(since));
       }},
      {"agent + verb + since (last 7 days)",
       [&](std::mt19937_64& r) {
         const auto since = layout.last_stored - std::chrono::hours(24 * 7);
         return "agent=" + url_encode(learner_agent_json(pick(r, population.learners))) +
                "&verb=" + url_encode(verb_id(pick(r, population.verbs))) +
                "&since=" + url_encode(core::format_rfc3339(since));
       }},
  };
  HttpConnection reader(port);
  std::mt19937_64 random(20261125);
  for (const auto& kind : kinds) {
    std::vector<double> latencies;
    double returned = 0;
    int errors = 0;
    std::string first_error;
    for (int i = 0; i < sizes.query_warmup + sizes.queries; ++i) {
      const std::string head = request_head("GET /xapi/statements?" + kind.target(random), "reader");
      const auto sent = std::chrono::steady_clock::now();
      const HttpResponse response = reader.request(head, "");
      const double ms = elapsed_ms(sent);
      if (response.status != 200) {
        ++errors;
        if (first_error.empty()) first_error = std::to_string(response.status) + " " + response.body.substr(0, 300);
      }
      if (i < sizes.query_warmup) continue;
      latencies.push_back(ms);
      if (i < sizes.query_warmup + 100) returned += count_statements(response.body);
    }
    const double mean_returned = returned / std::min(100, sizes.queries);
    const std::string name =
        "GET /xapi/statements?" + kind.name + ", " + stored_text + ", 1 connection, " + with_commas(sizes.queries) +
        " calls (~" + fixed(mean_returned, mean_returned < 10 ? 1 : 0) + " statements per answer, page limit 100)";
    emit_row(name, "p50", quantile(latencies, 0.5), "ms");
    emit_row(name, "p99", quantile(latencies, 0.99), "ms");
    if (errors > 0) {
      emit_row(name, "answers not 200", errors, "count", "0", false);
    }
    progress("GET " + kind.name + ": p50 " + fixed(quantile(latencies, 0.5), 2) + " ms, p99 " +
             fixed(quantile(latencies, 0.99), 2) + " ms, ~" + fixed(mean_returned, 1) + " statements" +
             (first_error.empty() ? "" : ", first error: " + first_error));
  }
  emit_row("edfleet-ingest over the whole run", "peak RSS (VmHWM)", peak_rss_mib(ingest.pid()).value_or(0), "MiB");
  progress("done; " + load_average());
  return 0;
}

}  // namespace
}  // namespace edfleet::bench::xapi

int main(int argc, char** argv) {
  edfleet::bench::clean_up_on_signals();
  try {
    return edfleet::bench::xapi::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "edfleet-bench-xapi: " << e.what() << "\n";
    return 1;
  }
}
