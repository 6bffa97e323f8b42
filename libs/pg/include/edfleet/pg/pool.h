// ConnectionPool: a bounded, thread-safe pool of libpqxx connections shared by a service's
// Postgres adapters.
//
//   pg::ConnectionPool pool(config.postgres_url, config.postgres_pool_size);
//   auto conn = pool.acquire();            // waits up to 5 s for a free connection
//   pqxx::work tx(*conn);
//   ...
//   tx.commit();                           // the connection returns to the pool with the Lease
//
// Connections are opened lazily, up to `size` at a time. acquire() hands out an idle connection,
// opens a new one if fewer than `size` exist, or waits for one to be returned; it throws
// pg::Unavailable when the server cannot be reached or no connection frees up within the timeout
// (the message names host:port/database, never the password). A connection is discarded instead of
// being reused when its Lease was mark_broken() (do so after a pqxx::broken_connection), when it is
// no longer open, or when the server has closed it while it sat idle (e.g. a restarted server); the
// next acquire() opens a fresh one. Notices from the server (NOTICE, WARNING) are logged through
// core::log instead of being printed to stderr. A URL without connect_timeout gets 5 seconds.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <pqxx/connection>
#include <pqxx/except>

namespace edfleet::pg {

// The database cannot be used right now (cannot connect, or the pool stayed exhausted); retrying
// later may succeed. Transports map it to UNAVAILABLE / 503.
struct Unavailable : std::runtime_error {
  using runtime_error::runtime_error;
};

// True for the SQLSTATE classes a retry may fix: connection exceptions (08), transaction rollbacks
// such as serialization failures and deadlocks (40), insufficient resources (53) and operator
// intervention such as a shutting-down server (57). ConnectionPool::with_connection turns such
// pqxx::sql_errors into Unavailable; any other SQLSTATE is a bug or bad data, not worth a retry.
bool is_transient_sqlstate(std::string_view sqlstate);

// "host:port/database" for a libpq URL or keyword/value string, without user or password.
// Throws std::invalid_argument if libpq cannot parse it.
std::string describe_target(const std::string& url);

class ConnectionPool {
  struct State;

 public:
  ConnectionPool(std::string url, std::size_t size);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Exclusive use of one connection until the Lease is destroyed. Move-only. May outlive the pool
  // (the connection is then closed instead of returned).
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    pqxx::connection& operator*() { return *connection(); }
    pqxx::connection* operator->() { return connection(); }
    // Do not return this connection to the pool (its session is broken or in an unknown state).
    void mark_broken() { broken_ = true; }

   private:
    friend class ConnectionPool;
    struct Slot;
    Lease(std::shared_ptr<State> state, std::unique_ptr<Slot> slot);
    pqxx::connection* connection();
    void release() noexcept;

    std::shared_ptr<State> state_;
    std::unique_ptr<Slot> slot_;
    bool broken_ = false;
  };

  Lease acquire(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Runs fn(pqxx::connection&) on a leased connection and returns its result. If fn throws what a
  // retry may fix (pqxx::broken_connection, pqxx::transaction_rollback, or a pqxx::sql_error with
  // is_transient_sqlstate), pg::Unavailable is thrown instead, so adapters only need to map
  // Unavailable. The connection is discarded unless the error was a transaction rollback.
  template <typename Fn>
  auto with_connection(Fn&& fn, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    Lease lease = acquire(timeout);
    try {
      return std::forward<Fn>(fn)(*lease);
    } catch (const pqxx::broken_connection& e) {
      lease.mark_broken();
      throw Unavailable("lost the connection to PostgreSQL at " + target() + ": " + e.what());
    } catch (const pqxx::transaction_rollback& e) {
      // Serialization failure or deadlock (class 40; libpqxx 6 does not derive these from sql_error).
      throw Unavailable("PostgreSQL at " + target() + " rolled the transaction back: " + e.what());
    } catch (const pqxx::sql_error& e) {
      if (!is_transient_sqlstate(e.sqlstate())) throw;
      lease.mark_broken();
      throw Unavailable("PostgreSQL at " + target() + " cannot do this right now (SQLSTATE " + e.sqlstate() +
                        "): " + e.what());
    }
  }

  std::size_t size() const;
  std::size_t open_connections() const;   // idle + leased
  std::size_t idle_connections() const;
  const std::string& target() const;      // host:port/database, for messages

 private:
  std::shared_ptr<State> state_;
};

}  // namespace edfleet::pg
