// edfleet-broker: an in-memory Kafka cluster (librdkafka's mock) with the fleet topics, for local
// runs (`edfleet up`) and cross-process tests.
//
//   edfleet-broker [--brokers N] [--ready-file PATH] [--log-level LEVEL]
//
// Prints {"bootstrap_servers":"127.0.0.1:NNNNN"} on stdout, writes the same JSON to the ready file
// (tmp + rename, removed again on exit), then runs until SIGTERM/SIGINT. SIGUSR1 takes every broker
// down, SIGUSR2 brings them back (fault-injection tests).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include <pthread.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "edfleet/core/log.h"
#include "edfleet/kafka/embedded_broker.h"

namespace {

constexpr std::string_view kUsage =
    "usage: edfleet-broker [--brokers N] [--ready-file PATH] [--log-level LEVEL]\n"
    "  Runs an in-memory Kafka cluster with the edfleet topics until SIGTERM/SIGINT.\n"
    "  Prints {\"bootstrap_servers\":\"HOST:PORT\"} on stdout and writes it to PATH (atomically).\n"
    "  SIGUSR1: all brokers down; SIGUSR2: all brokers up.\n";

struct Args {
  int brokers = 1;
  std::string ready_file;
  std::string log_level = "info";
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "edfleet-broker: " << message << "\n" << kUsage;
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--brokers") {
      std::string text = value();
      try {
        std::size_t used = 0;
        args.brokers = std::stoi(text, &used);
        if (used != text.size() || args.brokers < 1 || args.brokers > 16) throw std::out_of_range(text);
      } catch (const std::exception&) {
        usage_error("--brokers must be a number from 1 to 16, got '" + text + "'");
      }
    } else if (arg == "--ready-file") {
      args.ready_file = value();
    } else if (arg == "--log-level") {
      args.log_level = value();
    } else {
      usage_error("unknown argument '" + std::string(arg) + "'");
    }
  }
  return args;
}

void write_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content << "\n";
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  edfleet::core::log::init("broker", args.log_level);

  // Block the signals before any thread exists, so that librdkafka's threads inherit the mask and
  // only sigwait below ever sees them: no work happens in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    edfleet::kafka::EmbeddedBroker broker({.brokers = args.brokers});
    const std::string ready = nlohmann::json{{"bootstrap_servers", broker.bootstrap_servers()}}.dump();
    std::cout << ready << std::endl;
    if (!args.ready_file.empty()) write_atomically(args.ready_file, ready);
    edfleet::core::log::info("edfleet-broker ready", {{"bootstrap_servers", broker.bootstrap_servers()},
                                                      {"brokers", args.brokers},
                                                      {"pid", ::getpid()}});
    for (;;) {
      int received = 0;
      if (sigwait(&signals, &received) != 0) continue;
      if (received == SIGUSR1) {
        broker.set_all_brokers_down();
      } else if (received == SIGUSR2) {
        broker.set_all_brokers_up();
      } else {
        edfleet::core::log::info("edfleet-broker stopping", {{"signal", received}});
        break;
      }
    }
    if (!args.ready_file.empty()) {
      std::error_code ignored;
      std::filesystem::remove(args.ready_file, ignored);
    }
  } catch (const std::exception& e) {
    edfleet::core::log::error("edfleet-broker failed", {{"error", e.what()}});
    return 1;
  }
  return 0;
}
