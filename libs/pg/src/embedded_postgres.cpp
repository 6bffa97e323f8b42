#include "edfleet/pg/embedded_postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "edfleet/core/log.h"
#include "edfleet/core/subprocess.h"

namespace fs = std::filesystem;

namespace edfleet::pg {
namespace {

constexpr const char* kRuntimePrefix = "edfleet-pg-";
constexpr const char* kOwnerFile = "owner.pid";      // pid of the process that owns the server
constexpr const char* kDataDirFile = "data_dir";     // where its cluster lives
constexpr std::size_t kLogTailLines = 40;

struct PostgresUser {
  bool as_root = false;  // run the binaries through runuser
  uid_t uid = 0;
  gid_t gid = 0;
};

PostgresUser postgres_user() {
  PostgresUser user;
  if (::geteuid() != 0) return user;
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) {
    throw std::runtime_error(
        "EmbeddedPostgres: running as root, but there is no 'postgres' user to run PostgreSQL as "
        "(PostgreSQL refuses to run as root); install the postgresql package or run as another user");
  }
  user.as_root = true;
  user.uid = pw->pw_uid;
  user.gid = pw->pw_gid;
  return user;
}

std::string runuser_path() {
  for (const char* candidate : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "runuser";
}

struct CommandResult {
  int status = 0;
  std::string output;  // stdout and stderr, interleaved
};

// Runs a PostgreSQL binary (as `postgres` when we are root) and collects its output.
CommandResult run(const PostgresUser& user, std::vector<std::string> argv,
                  const std::string& working_dir) {
  if (user.as_root) {
    argv.insert(argv.begin(), {runuser_path(), "-u", "postgres", "--"});
  }
  auto output = std::make_shared<std::pair<std::mutex, std::string>>();
  core::Subprocess child(core::Subprocess::Options{
      .argv = std::move(argv),
      .env = {},
      // The binaries must be able to stat their working directory as `postgres`.
      .working_dir = working_dir,
      .on_output =
          [output](std::string_view line, bool) {
            std::lock_guard lock(output->first);
            output->second.append(line).append("\n");
          }});
  CommandResult result;
  result.status = child.wait();
  std::lock_guard lock(output->first);
  result.output = std::move(output->second);
  return result;
}

void chown_to(const PostgresUser& user, const std::string& path) {
  if (user.as_root && ::chown(path.c_str(), user.uid, user.gid) != 0) {
    throw std::runtime_error("EmbeddedPostgres: cannot chown " + path + " to postgres: " +
                             std::strerror(errno));
  }
}

// As root, PostgreSQL runs as `postgres`, which must be able to enter every parent directory.
void check_traversable(const PostgresUser& user, const fs::path& dir) {
  if (!user.as_root) return;
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      bool ok = (st.st_mode & S_IXOTH) != 0 || (st.st_uid == user.uid && (st.st_mode & S_IXUSR)) ||
                (st.st_gid == user.gid && (st.st_mode & S_IXGRP));
      if (!ok) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
        throw std::runtime_error("EmbeddedPostgres: PostgreSQL runs as the 'postgres' user, which "
                                 "cannot enter " + p.string() + " (mode " + mode + ", owner uid " +
                                 std::to_string(st.st_uid) + "); choose a data_dir elsewhere (e.g. "
                                 "under /tmp) or allow it with chmod o+x " + p.string());
      }
    }
    if (p == p.root_path()) break;
  }
}

// pg_ctl hands -o to /bin/sh and wraps -D/-l in double quotes; refuse paths that could break out.
void check_shell_safe(const std::string& path, const char* what) {
  for (char c : path) {
    if (c == '"' || c == '\'' || c == '\\' || c == '$' || c == '`' || c == '\n') {
      throw std::invalid_argument(std::string("EmbeddedPostgres: ") + what + " '" + path +
                                  "' contains a quote, backslash, '$', '`' or newline, which "
                                  "pg_ctl cannot pass through its shell");
    }
  }
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("EmbeddedPostgres: socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("EmbeddedPostgres: cannot find a free port: ") +
                             std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("EmbeddedPostgres: cannot write " + path.string());
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// Stops and deletes the servers of temporary EmbeddedPostgres instances whose owning process died
// without running its destructor (a crashed or timed-out test), so they do not pile up.
void reap_abandoned_servers(const PostgresUser& user, const std::string& bin_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(kRuntimePrefix) || !entry.is_directory(ec)) continue;
    std::string owner = read_file(entry.path() / kOwnerFile);
    if (owner.empty()) continue;  // being set up right now, or not ours to judge
    pid_t pid = 0;
    try {
      pid = static_cast<pid_t>(std::stol(owner));
    } catch (...) {
      continue;
    }
    if (pid <= 0 || process_exists(pid)) continue;
    std::string data_dir = read_file(entry.path() / kDataDirFile);
    if (!data_dir.empty() && fs::exists(fs::path(data_dir) / "postmaster.pid", ec)) {
      try {
        run(user, {bin_dir + "/pg_ctl", "-D", data_dir, "-m", "immediate", "-w", "-t", "20", "stop"},
            entry.path().string());
      } catch (...) {
        // Best effort: it may already be gone.
      }
    }
    fs::remove_all(entry.path(), ec);
    core::log::info("removed a PostgreSQL left behind by a dead process",
                    {{"dir", entry.path().string()}, {"owner_pid", pid}});
  }
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string single_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

EmbeddedPostgres::EmbeddedPostgres() : EmbeddedPostgres(Options{}) {}

EmbeddedPostgres::EmbeddedPostgres(Options options) : options_(std::move(options)) {
  const PostgresUser user = postgres_user();
  for (const char* binary : {"initdb", "pg_ctl", "postgres"}) {
    std::string path = options_.bin_dir + "/" + binary;
    if (::access(path.c_str(), X_OK) != 0) {
      throw std::runtime_error("EmbeddedPostgres: " + path +
                               " not found or not executable (is the postgresql package installed? "
                               "set Options::bin_dir)");
    }
  }
  temporary_ = options_.data_dir.empty();
  if (temporary_) reap_abandoned_servers(user, options_.bin_dir);

  // The private runtime directory: socket, owner marker, and for a temp cluster everything else.
  std::string pattern = std::string("/tmp/") + kRuntimePrefix + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("EmbeddedPostgres: cannot create a directory in /tmp: " +
                             std::string(std::strerror(errno)));
  }
  runtime_dir_ = pattern;
  try {
    if (temporary_) {
      data_dir_ = runtime_dir_ + "/data";
      log_file_ = runtime_dir_ + "/server.log";
    } else {
      data_dir_ = fs::absolute(options_.data_dir).lexically_normal().string();
      if (data_dir_.size() > 1 && data_dir_.back() == '/') data_dir_.pop_back();
      log_file_ = data_dir_ + "/edfleet-postgres.log";
    }
    check_shell_safe(data_dir_, "data_dir");
    check_shell_safe(options_.bin_dir, "bin_dir");
    write_file(fs::path(runtime_dir_) / kDataDirFile, data_dir_);
    write_file(fs::path(runtime_dir_) / kOwnerFile, std::to_string(::getpid()));
    chown_to(user, runtime_dir_);

    if (!temporary_) {
      check_traversable(user, data_dir_);
      fs::create_directories(data_dir_);
      if (!fs::exists(fs::path(data_dir_) / "PG_VERSION")) {
        fs::permissions(data_dir_, fs::perms::owner_all, fs::perm_options::replace);
        chown_to(user, data_dir_);
      }
    }
    port_ = options_.port;
    port_chosen_ = options_.port == 0;
    start();
  } catch (...) {
    std::error_code ec;
    fs::remove_all(runtime_dir_, ec);  // (a temp cluster lives inside it)
    throw;
  }
}

EmbeddedPostgres::~EmbeddedPostgres() {
  try {
    stop();
  } catch (const std::exception& e) {
    core::log::error("cannot stop embedded PostgreSQL", {{"data_dir", data_dir_}, {"error", e.what()}});
  }
  std::error_code ec;
  fs::remove_all(runtime_dir_, ec);
}

void EmbeddedPostgres::initdb_if_needed() {
  if (fs::exists(fs::path(data_dir_) / "PG_VERSION")) return;
  auto result = run(postgres_user(),
                    {options_.bin_dir + "/initdb", "-D", data_dir_, "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"},
                    runtime_dir_);
  if (result.status != 0) {
    throw std::runtime_error("EmbeddedPostgres: initdb of " + data_dir_ + " failed (status " +
                             std::to_string(result.status) + "):\n" + result.output);
  }
}

void EmbeddedPostgres::start() {
  if (running_) return;
  initdb_if_needed();
  const PostgresUser user = postgres_user();
  for (int attempt = 0;; ++attempt) {
    if (port_ == 0) port_ = free_loopback_port();
    // Dev/test settings: loopback only, no durability (fsync off etc.), room for a whole fleet.
    std::string server_options = "-p " + std::to_string(port_) + " -k " + single_quoted(runtime_dir_) +
                                 " -c listen_addresses=127.0.0.1 -c fsync=off"
                                 " -c synchronous_commit=off -c full_page_writes=off"
                                 " -c max_connections=200";
    auto result = run(user,
                      {options_.bin_dir + "/pg_ctl", "-D", data_dir_, "-l", log_file_, "-w", "-t", "60",
                       "-o", server_options, "start"},
                      runtime_dir_);
    if (result.status == 0) {
      running_ = true;
      // From now on the port is part of the server's identity (clients hold URLs with it): a
      // restart must come back on the same port or fail, never move silently.
      port_chosen_ = false;
      return;
    }
    std::string tail = log_tail();
    // Someone took our free port between choosing and binding it: choose again.
    if (port_chosen_ && attempt < 3 && tail.find("Address already in use") != std::string::npos) {
      port_ = 0;
      continue;
    }
    throw std::runtime_error("EmbeddedPostgres: PostgreSQL did not start on 127.0.0.1:" +
                             std::to_string(port_) + " (pg_ctl status " +
                             std::to_string(result.status) + "):\n" + result.output +
                             "last lines of " + log_file_ + ":\n" + tail);
  }
}

void EmbeddedPostgres::stop() {
  if (!running_) return;
  auto result = run(postgres_user(),
                    {options_.bin_dir + "/pg_ctl", "-D", data_dir_, "-m", "fast", "-w", "-t", "60", "stop"},
                    runtime_dir_);
  if (result.status != 0 && fs::exists(fs::path(data_dir_) / "postmaster.pid")) {
    throw std::runtime_error("EmbeddedPostgres: pg_ctl stop failed (status " +
                             std::to_string(result.status) + "):\n" + result.output +
                             "last lines of " + log_file_ + ":\n" + log_tail());
  }
  running_ = false;
}

std::string EmbeddedPostgres::url(std::string_view database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + percent_encode(database);
}

void EmbeddedPostgres::create_database(std::string_view name) {
  pqxx::connection connection(url("postgres"));
  pqxx::nontransaction tx(connection);
  if (!tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", std::string(name)).empty()) return;
  try {
    tx.exec("CREATE DATABASE " + tx.quote_name(std::string(name)));
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() != "42P04") throw;  // duplicate_database: someone else was faster
  }
}

std::string EmbeddedPostgres::log_tail() const {
  std::ifstream in(log_file_);
  if (!in) return "(no server log)\n";
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > kLogTailLines) lines.pop_front();
  }
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

}  // namespace edfleet::pg
