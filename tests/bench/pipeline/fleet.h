// The processes the pipeline benchmark measures, each its own OS process so that its peak memory
// can be read from /proc: edfleet-broker (the embedded Kafka cluster), edfleet-ingest and
// edfleet-analytics (the real binaries, via testing::ServiceProcess), sharing one PostgreSQL.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "edfleet/core/subprocess.h"
#include "edfleet/testing/testing.h"

namespace edfleet::bench {

// edfleet-broker as a child process: started, its bootstrap address read from its first stdout line.
class BrokerProcess {
 public:
  BrokerProcess();
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  int pid() const { return process_->pid(); }

 private:
  std::mutex mutex_;
  std::string first_line_;
  std::unique_ptr<core::Subprocess> process_;
  std::string bootstrap_servers_;
};

// Makes an interrupted benchmark (Ctrl-C, SIGTERM from the runner's timeout, a hang-up) clean up:
// SIGINT/SIGTERM/SIGHUP are blocked in every thread and a watcher thread, on receiving one, kills
// the tracked child processes, stops the shared PostgreSQL (when started) and exits 128 + signal.
// SIGPIPE is ignored (a closed stdout must not kill the benchmark before it cleans up). Call first
// thing in main(), before any other thread exists.
void clean_up_on_signals();
void postgres_started();   // from now on the watcher stops testing::shared_postgres()

// PostgreSQL's default shared_buffers (128 MB) is a development default; a server holding millions of
// rows' worth of tables and indexes (~1.5 GB) would be given more. 1 GB, as ALTER SYSTEM + restart.
void tune_postgres(pg::EmbeddedPostgres& postgres);

// The integer in environment variable `name`, or `fallback` when it is unset or empty.
std::int64_t env_int(const char* name, std::int64_t fallback);

// A child process the watcher kills on a signal, for as long as this object lives.
class Tracked {
 public:
  explicit Tracked(int pid);
  ~Tracked();
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;

 private:
  int pid_;
};

// The environment edfleet-ingest / edfleet-analytics need: Kafka, their database, free ports, and
// the shipped log level (info: per-call access logs on, as deployed).
std::map<std::string, std::string> service_env(const std::string& service, const std::string& bootstrap_servers,
                                               const std::string& postgres_url);

}  // namespace edfleet::bench
