// EmbeddedPostgres: a private PostgreSQL server for tests and `edfleet up`, started from the
// distribution's binaries (initdb, pg_ctl) — no Docker, no system service.
//
//   pg::EmbeddedPostgres postgres;                      // fresh cluster in a temp dir, free port
//   postgres.create_database("analytics_test");
//   pg::ConnectionPool pool(postgres.url("analytics_test"), 4);
//
// The cluster is created with initdb (trust authentication for the `postgres` user, UTF8, C.UTF-8)
// only if data_dir has no PG_VERSION yet, so an existing data_dir is reused with its data. The
// server listens on 127.0.0.1 only, with its unix socket in a private directory, and runs with
// fsync=off, synchronous_commit=off and full_page_writes=off: fast, and NOT crash-safe — for
// development and tests only, never for data you want to keep. When the process runs as root the
// data directory is chowned to the `postgres` user and initdb/pg_ctl run through
// `runuser -u postgres --` (PostgreSQL refuses to run as root); every parent of data_dir must then
// be traversable by that user (anything under /tmp is). Port 0 picks a free loopback port once;
// stop() and start() keep it, so clients can reconnect to the same URL. A start failure throws
// std::runtime_error with the tail of the server log. A temporary data_dir (empty Options::data_dir)
// is deleted by the destructor; because a crashed test cannot do that, constructing a temporary
// server also stops and deletes temporary servers left behind by processes that no longer exist.
#pragma once

#include <string>
#include <string_view>

namespace edfleet::pg {

class EmbeddedPostgres {
 public:
  struct Options {
    std::string data_dir;   // the cluster directory (PGDATA); empty = fresh temp dir, deleted by ~
    int port = 0;           // 0 = a free loopback port
    std::string bin_dir = "/usr/lib/postgresql/15/bin";
  };

  // initdb when needed, then start(). (Two constructors rather than `Options = {}`: GCC cannot use
  // a nested struct's member initialisers in a default argument of the enclosing class.)
  EmbeddedPostgres();
  explicit EmbeddedPostgres(Options options);
  ~EmbeddedPostgres();                                // stop() (fast), delete a temp data_dir
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // postgresql://postgres@127.0.0.1:PORT/<database>
  std::string url(std::string_view database = "postgres") const;
  // CREATE DATABASE <name> (quoted identifier); no error if it exists.
  void create_database(std::string_view name);

  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_file() const { return log_file_; }

  void stop();            // pg_ctl stop -m fast -w; no-op when stopped
  void start();           // pg_ctl start -w on the same port; no-op when running
  bool running() const { return running_; }

 private:
  void initdb_if_needed();
  std::string log_tail() const;

  Options options_;
  bool temporary_ = false;
  std::string runtime_dir_;   // private dir: the unix socket, and for a temp cluster everything
  std::string data_dir_;
  std::string log_file_;
  int port_ = 0;
  bool port_chosen_ = false;  // we picked the port (so on a bind clash we may pick another)
  bool running_ = false;
};

}  // namespace edfleet::pg
