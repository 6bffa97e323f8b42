// `edfleet up`: the composition of the supervisor, the embedded broker and Postgres, and the services.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <pqxx/pqxx>

#include "commands.h"
#include "console.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/log.h"
#include "edfleet/core/time_format.h"
#include "edfleet/pg/embedded_postgres.h"
#include "edfleet/core/hash.h"
#include "endpoints.h"
#include "ports.h"
#include "fleet.h"
#include "supervisor.h"
#include "table.h"

namespace edfleet::cli {

namespace fs = std::filesystem;

namespace {

// The handler's only access to the supervisor's stop request (a lock-free atomic: signal-safe).
std::atomic<StopRequest*> g_stop{nullptr};

// static: an extern "C" name is global even in an unnamed namespace (and `edfleet sim` has its own).
extern "C" {
static void on_stop_signal(int) {
  if (StopRequest* stop = g_stop.load()) stop->request();
}
}

void install_signal_handlers(StopRequest& stop) {
  g_stop.store(&stop);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
  // A closed terminal or pipe must not kill us before the children are stopped.
  std::signal(SIGPIPE, SIG_IGN);
}

bool stdout_wants_colour(ColourMode mode) {
  if (mode != ColourMode::kAuto) return mode == ColourMode::kAlways;
  const char* term = std::getenv("TERM");
  return ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr &&
         (term == nullptr || std::string_view(term) != "dumb");
}

fs::path own_directory() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}


// 32 bytes from the kernel's CSPRNG as 64 hex digits: the run's internal_auth secret.
core::Result<std::string> random_secret() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  std::string bytes(32, '\0');
  if (!random.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return core::Error::unavailable("cannot read /dev/urandom for the internal_auth secret");
  }
  return core::to_hex(bytes);
}

// Another live `edfleet up` that owns this endpoints file.
int running_owner(const std::string& endpoints_file) {
  auto endpoints = read_endpoints_file(endpoints_file);
  if (!endpoints.ok() || endpoints->pid <= 0 || endpoints->pid == ::getpid()) return 0;
  std::ifstream comm("/proc/" + std::to_string(endpoints->pid) + "/comm");
  std::string name;
  if (!comm || !std::getline(comm, name) || name != "edfleet") return 0;
  return endpoints->pid;
}

// A run directory for ready files: <data_dir>/run, or a temp dir removed at the end.
class RunDirectory {
 public:
  explicit RunDirectory(const std::string& data_dir) {
    if (!data_dir.empty()) {
      path_ = fs::path(data_dir) / "run";
      fs::create_directories(path_);
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "edfleet-up-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temp dir in /tmp");
    path_ = pattern;
    temporary_ = true;
  }
  ~RunDirectory() {
    std::error_code ec;
    if (temporary_) fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
  bool temporary_ = false;
};

// CREATE DATABASE on an external server; an existing database is fine, other failures are
// reported but not fatal (the operator may have created the databases without granting CREATEDB).
void create_external_database(const std::string& server_url, const std::string& name, PrefixedWriter& console) {
  try {
    pqxx::connection connection(server_url);
    pqxx::nontransaction tx(connection);
    tx.exec0("CREATE DATABASE " + tx.quote_name(name));
    console.note("created database " + name);
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() != "42P04") {   // duplicate_database
      console.note("could not create database " + name + " (" + e.what() + "); assuming it exists");
    }
  }
}

std::string http_url(const std::string& address) { return "http://" + address; }

}  // namespace

int run_up(const UpOptions& options) {
  core::log::init("edfleet", options.log_level.empty() ? "warn" : options.log_level);
  const bool colour = stdout_wants_colour(options.colour);
  std::size_t width = std::string_view("postgres").size();
  for (const auto& name : options.services) width = std::max(width, name.size());
  PrefixedWriter console(stdout, colour, options.raw_logs, width);
  auto fail = [&](const std::string& message) {
    std::string text = "edfleet up: " + message + "\n";
    if (::isatty(STDERR_FILENO) == 1 && colour) text = "\x1b[1;31m" + text.substr(0, text.size() - 1) + "\x1b[0m\n";
    std::cerr << text << std::flush;
    return kExitFailure;
  };

  // Fail fast on what can be checked before anything starts.
  const fs::path bin_dir = options.bin_dir.empty() ? own_directory() : fs::path(options.bin_dir);
  std::vector<std::string> missing;
  if (options.kafka_bootstrap.empty() && !fs::exists(bin_dir / "edfleet-broker")) missing.push_back("edfleet-broker");
  for (const auto& name : options.services) {
    if (!fs::exists(bin_dir / binary_name(name))) missing.push_back(binary_name(name));
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return fail("missing in " + bin_dir.string() + ": " + list + " (build them: scripts/build)");
  }
  if (int owner = running_owner(options.endpoints_file); owner != 0) {
    return fail("edfleet up is already running (pid " + std::to_string(owner) + ", endpoints in " +
                options.endpoints_file + "); stop it first or use --endpoints/--data-dir and --ephemeral-ports");
  }
  if (options.ports.mode != PortPlan::Mode::kEphemeral) {
    for (const auto& name : options.services) {
      auto ports = options.ports.ports_for(*find_service(name));
      for (auto [kind, port] : {std::pair{"gRPC", ports.grpc}, std::pair{"HTTP", ports.http}}) {
        if (port_in_use(port)) {
          return fail("port " + std::to_string(port) + " (" + name + " " + kind +
                      ") is already in use; pick other ports with --port-base N or --ephemeral-ports");
        }
      }
    }
  }

  StopRequest stop;
  install_signal_handlers(stop);

  std::string data_dir;
  if (!options.data_dir.empty()) {
    data_dir = fs::absolute(options.data_dir).string();
    fs::create_directories(data_dir);
  }
  RunDirectory run_dir(data_dir);

  Supervisor::Options supervisor_options;
  supervisor_options.ready_timeout = options.ready_timeout;
  supervisor_options.stop_grace = options.stop_timeout;
  SubprocessLauncher launcher;
  Supervisor supervisor(
      launcher, stop, core::SystemClock::instance(), supervisor_options,
      [&console](std::string_view name, std::string_view line) { console.write(name, line); },
      [&console](std::string_view note) { console.note(note); });

  Endpoints endpoints;
  endpoints.pid = ::getpid();
  endpoints.started_at = core::format_rfc3339(core::SystemClock::instance().now());
  // One internal_auth secret for the whole fleet: the operator's, else a fresh one for this run.
  if (const char* secret = std::getenv("EDFLEET_INTERNAL_AUTH_SECRET"); secret != nullptr && *secret != '\0') {
    endpoints.internal_auth_secret = secret;
  } else {
    auto fresh = random_secret();
    if (!fresh.ok()) return fail(fresh.error().message);
    endpoints.internal_auth_secret = std::move(fresh).value();
  }
  std::unique_ptr<pg::EmbeddedPostgres> postgres;
  int exit_code = kExitOk;
  bool endpoints_written = false;
  bool default_written = false;  // also at ./.edfleet/endpoints.json, for commands run without flags
  const std::string default_endpoints = endpoints_path("", "");

  auto run = [&]() -> int {
    // Kafka.
    if (options.kafka_bootstrap.empty()) {
      const std::string ready_file = run_dir.file("broker.ready");
      auto ready = supervisor.start({"broker", {(bin_dir / "edfleet-broker").string(), "--ready-file", ready_file}, {}},
                                    ready_file);
      if (!ready.ok()) return stop.requested() ? kExitOk : fail(ready.error().message);
      endpoints.kafka_bootstrap_servers = ready->value("bootstrap_servers", "");
      if (endpoints.kafka_bootstrap_servers.empty()) {
        return fail("edfleet-broker's ready file has no bootstrap_servers: " + ready->dump());
      }
      console.note("kafka (embedded) at " + endpoints.kafka_bootstrap_servers);
    } else {
      endpoints.kafka_bootstrap_servers = options.kafka_bootstrap;
      console.note("kafka at " + options.kafka_bootstrap);
    }

    // Postgres and one database per service.
    std::map<std::string, std::string> database_urls;
    if (options.database_url.empty()) {
      console.note("starting postgres (embedded)");
      pg::EmbeddedPostgres::Options pg_options;
      if (!data_dir.empty()) pg_options.data_dir = (fs::path(data_dir) / "postgres").string();
      pg_options.port = options.pg_port;
      const bool kept_data = !pg_options.data_dir.empty() && fs::exists(fs::path(pg_options.data_dir) / "PG_VERSION");
      try {
        postgres = std::make_unique<pg::EmbeddedPostgres>(pg_options);
      } catch (const std::exception& e) {
        return fail(std::string("embedded postgres did not start: ") + e.what());
      }
      endpoints.postgres_url = postgres->url();
      console.note("postgres (embedded) at " + postgres->url() +
                   (data_dir.empty() ? " (temporary)" : " (data in " + postgres->data_dir() + ")"));
      if (kept_data && options.kafka_bootstrap.empty()) {
        // The embedded Kafka is new and empty, the databases are not: consumers that store their Kafka
        // position in Postgres (analytics) find it beyond the new topics' end and re-read them from
        // the start (libs/kafka ConsumerLoop); they log that as an error, which is expected here.
        console.note("note: the embedded Kafka starts empty on every run but Postgres kept its data: services "
                     "that stored Kafka positions (analytics) will log offset_out_of_range errors and read the "
                     "new topics from the start. Earlier events stay counted.");
      }
      for (const auto& name : options.services) {
        if (!find_service(name)->needs_database) continue;
        postgres->create_database(database_name(name));
        database_urls[name] = postgres->url(database_name(name));
      }
    } else {
      endpoints.postgres_url = redact_url(options.database_url);
      for (const auto& name : options.services) {
        if (!find_service(name)->needs_database) continue;
        create_external_database(options.database_url, database_name(name), console);
        database_urls[name] = *with_database(options.database_url, database_name(name));
      }
      console.note("postgres at " + redact_url(options.database_url));
    }
    if (database_urls.count("gateway") != 0) endpoints.gateway_database_url = redact_url(database_urls["gateway"]);
    if (stop.requested()) return kExitOk;

    // The services, one at a time: each one is told the addresses of those before it.
    std::map<std::string, std::string> started;
    std::map<std::string, std::string> started_http;
    for (const auto& name : options.services) {
      const ServiceSpec& spec = *find_service(name);
      ServiceLaunch launch;
      launch.kafka_bootstrap_servers = endpoints.kafka_bootstrap_servers;
      launch.postgres_url = database_urls.count(name) != 0 ? database_urls[name] : std::string();
      launch.ports = options.ports.ports_for(spec);
      launch.ready_file = run_dir.file(name + ".ready");
      launch.log_level = options.log_level;
      launch.internal_auth_secret = endpoints.internal_auth_secret;
      launch.upstreams = started;
      if (name == "gateway" && started_http.count("ingest") != 0) launch.upstream_http["ingest"] = started_http["ingest"];
      auto ready = supervisor.start({name, {(bin_dir / binary_name(name)).string()}, service_environment(spec, launch)},
                                    launch.ready_file);
      if (!ready.ok()) return stop.requested() ? kExitOk : fail(ready.error().message);
      ServiceEndpoint endpoint;
      endpoint.name = name;
      endpoint.grpc = "127.0.0.1:" + std::to_string(ready->value("grpc_port", launch.ports.grpc));
      endpoint.http = "127.0.0.1:" + std::to_string(ready->value("http_port", launch.ports.http));
      endpoint.pid = supervisor.pid(name);
      if (ready->contains("admin_port")) endpoint.admin = "127.0.0.1:" + std::to_string(ready->value("admin_port", 0));
      started[name] = endpoint.grpc;
      started_http[name] = endpoint.http;
      endpoints.services.push_back(endpoint);
      console.note(name + " ready: grpc " + endpoint.grpc + ", http " + http_url(endpoint.http));
    }

    auto written = write_endpoints_file(options.endpoints_file, endpoints);
    if (!written.ok()) return fail(written.error().message);
    endpoints_written = true;
    // With --data-dir or --endpoints the file is elsewhere: also write where the other commands look
    // without flags (./.edfleet/endpoints.json), unless another live `up` owns that one.
    if (default_endpoints != options.endpoints_file) {
      if (int owner = running_owner(default_endpoints); owner != 0) {
        console.note("not writing " + default_endpoints + ": edfleet up " + std::to_string(owner) +
                     " owns it; give the other commands --endpoints " + options.endpoints_file);
      } else if (write_endpoints_file(default_endpoints, endpoints).ok()) {
        default_written = true;
      }
    }

    Table table({"SERVICE", "GRPC", "HTTP", "ADMIN (/metrics, /healthz)", "PID"});
    for (const auto& service : endpoints.services) {
      table.add_row({service.name, service.grpc, http_url(service.http),
                     service.admin.empty() ? "(on HTTP)" : http_url(service.admin), std::to_string(service.pid)});
    }
    const bool embedded_kafka = options.kafka_bootstrap.empty();
    std::string postgres_note;
    if (postgres) {
      postgres_note = data_dir.empty() ? " (embedded, temporary)" : " (embedded, data in " + postgres->data_dir() + ")";
    }
    console.raw("\nedfleet is up.\n\n" + table.render() + "\n" +
                "kafka      " + endpoints.kafka_bootstrap_servers + (embedded_kafka ? " (embedded)" : "") + "\n" +
                "postgres   " + endpoints.postgres_url + postgres_note + "\n" +
                "endpoints  " + options.endpoints_file + " (read by edfleet publish / edfleet query)\n\n" +
                "Ctrl-C stops everything.\n\n");

    if (auto exit = supervisor.watch()) {
      return fail(exit->name + " " + describe_exit(exit->status) +
                  " unexpectedly (see its output above); stopping the fleet");
    }
    return kExitOk;
  };

  try {
    exit_code = run();
  } catch (const std::exception& e) {
    exit_code = fail(e.what());
  }

  if (stop.requested()) console.note("stopping (press Ctrl-C again to kill the services right away)");
  supervisor.stop_all();
  // Only remove a file that is still ours (another `up` may have been started with the same file).
  const auto remove_if_ours = [](const std::string& path) {
    auto current = read_endpoints_file(path);
    std::error_code ec;
    if (current.ok() && current->pid == ::getpid()) fs::remove(path, ec);
  };
  if (endpoints_written) remove_if_ours(options.endpoints_file);
  if (default_written) remove_if_ours(default_endpoints);
  if (postgres) {
    console.note("stopping postgres");
    try {
      postgres->stop();
    } catch (const std::exception& e) {
      console.note(std::string("postgres did not stop cleanly: ") + e.what());
    }
    postgres.reset();
  }
  console.note(exit_code == kExitOk ? "stopped" : "stopped after a failure");
  g_stop.store(nullptr);
  return exit_code;
}

}  // namespace edfleet::cli
