#include "edfleet/pg/pool.h"

#include <poll.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include <libpq-fe.h>
#include <pqxx/errorhandler>

#include "edfleet/core/log.h"
#include "notice_logger.h"

namespace edfleet::pg {

bool is_transient_sqlstate(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate.starts_with("40") || sqlstate.starts_with("53") ||
         sqlstate.starts_with("57");
}
namespace {

constexpr const char* kDefaultConnectTimeoutSeconds = "5";

bool is_url(const std::string& conninfo) {
  return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
}

// Parsed keyword -> value pairs of a connection string (only the ones it sets explicitly).
struct ParsedConninfo {
  std::string host, hostaddr, port, dbname;
  bool has_connect_timeout = false;
};

ParsedConninfo parse_conninfo(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    throw std::invalid_argument("invalid PostgreSQL connection string: " + message);
  }
  ParsedConninfo parsed;
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view key = o->keyword;
    if (key == "host") parsed.host = o->val;
    if (key == "hostaddr") parsed.hostaddr = o->val;
    if (key == "port") parsed.port = o->val;
    if (key == "dbname") parsed.dbname = o->val;
    if (key == "connect_timeout") parsed.has_connect_timeout = true;
  }
  PQconninfoFree(options);
  return parsed;
}

// libpq waits forever for an unreachable host unless told otherwise.
std::string with_connect_timeout(const std::string& url) {
  if (parse_conninfo(url).has_connect_timeout) return url;
  if (is_url(url)) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" +
           kDefaultConnectTimeoutSeconds;
  }
  return url + " connect_timeout=" + kDefaultConnectTimeoutSeconds;
}

// libpq messages end in newlines and sometimes carry a tab-indented hint line.
std::string one_line(std::string_view message) {
  std::string out;
  for (char c : message) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string describe_target(const std::string& url) {
  auto parsed = parse_conninfo(url);
  std::string host = !parsed.host.empty() ? parsed.host
                     : !parsed.hostaddr.empty() ? parsed.hostaddr
                                                : "localhost";
  std::string port = parsed.port.empty() ? "5432" : parsed.port;
  std::string out = host + ":" + port;
  if (!parsed.dbname.empty()) out += "/" + parsed.dbname;
  return out;
}

struct ConnectionPool::Lease::Slot {
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<NoticeLogger> notices;  // declared after: unregistered before the connection closes

  // True if the server closed this idle connection or sent something unsolicited (a FATAL
  // message before a shutdown, say): an idle session has nothing to read, so either way it is
  // not worth reusing.
  bool looks_dead() const {
    if (!connection->is_open()) return true;
    pollfd p{connection->sock(), POLLIN, 0};
    return p.fd < 0 || ::poll(&p, 1, 0) != 0;
  }
};

struct ConnectionPool::State {
  std::string url;          // with connect_timeout
  std::string target;       // for messages
  std::size_t size = 0;

  mutable std::mutex mutex;
  std::condition_variable returned;
  std::deque<std::unique_ptr<Lease::Slot>> idle;  // most recently returned at the back
  std::size_t open = 0;                           // idle + leased + being opened
  bool closed = false;

  void give_back(std::unique_ptr<Lease::Slot> slot, bool broken) {
    {
      std::lock_guard lock(mutex);
      if (!closed && !broken && slot->connection->is_open()) {
        idle.push_back(std::move(slot));
      } else {
        --open;
      }
    }
    returned.notify_one();
    // A discarded slot is destroyed here, outside the lock (closing may take a round-trip).
  }
};

ConnectionPool::ConnectionPool(std::string url, std::size_t size)
    : state_(std::make_shared<State>()) {
  if (size == 0) throw std::invalid_argument("ConnectionPool: size must be at least 1");
  state_->target = describe_target(url);  // also validates the string: fail fast at start-up
  state_->url = with_connect_timeout(url);
  state_->size = size;
}

ConnectionPool::~ConnectionPool() {
  std::deque<std::unique_ptr<Lease::Slot>> idle;
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
    state_->open -= state_->idle.size();
    idle.swap(state_->idle);
  }
}

ConnectionPool::Lease ConnectionPool::acquire(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(state_->mutex);
  while (true) {
    while (!state_->idle.empty()) {
      auto slot = std::move(state_->idle.back());
      state_->idle.pop_back();
      if (!slot->looks_dead()) return Lease(state_, std::move(slot));
      --state_->open;
      lock.unlock();
      core::log::info("discarding a PostgreSQL connection closed by the server",
                      {{"target", state_->target}});
      slot.reset();
      lock.lock();
    }
    if (state_->open < state_->size) break;
    if (state_->returned.wait_until(lock, deadline) == std::cv_status::timeout &&
        state_->idle.empty() && state_->open >= state_->size) {
      throw Unavailable("timed out after " + std::to_string(timeout.count()) +
                        " ms waiting for a free connection to PostgreSQL at " + state_->target +
                        " (pool of " + std::to_string(state_->size) + ", all in use)");
    }
  }

  // Reserve the slot, then connect without holding the lock.
  ++state_->open;
  lock.unlock();
  auto slot = std::make_unique<Lease::Slot>();
  try {
    slot->connection = std::make_unique<pqxx::connection>(state_->url);
    slot->notices = std::make_unique<NoticeLogger>(*slot->connection);
  } catch (const std::exception& e) {
    {
      std::lock_guard relock(state_->mutex);
      --state_->open;
    }
    state_->returned.notify_one();
    // libpq's messages name host and port but never the password.
    throw Unavailable("cannot connect to PostgreSQL at " + state_->target + ": " + one_line(e.what()));
  }
  return Lease(state_, std::move(slot));
}

std::size_t ConnectionPool::size() const { return state_->size; }

std::size_t ConnectionPool::open_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->open;
}

std::size_t ConnectionPool::idle_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->idle.size();
}

const std::string& ConnectionPool::target() const { return state_->target; }

ConnectionPool::Lease::Lease(std::shared_ptr<State> state, std::unique_ptr<Slot> slot)
    : state_(std::move(state)), slot_(std::move(slot)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : state_(std::move(other.state_)), slot_(std::move(other.slot_)), broken_(other.broken_) {}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    slot_ = std::move(other.slot_);
    broken_ = other.broken_;
  }
  return *this;
}

ConnectionPool::Lease::~Lease() { release(); }

pqxx::connection* ConnectionPool::Lease::connection() {
  if (!slot_) throw std::logic_error("ConnectionPool::Lease used after move");
  return slot_->connection.get();
}

void ConnectionPool::Lease::release() noexcept {
  if (slot_ && state_) state_->give_back(std::move(slot_), broken_);
  slot_.reset();
  state_.reset();
}

}  // namespace edfleet::pg
