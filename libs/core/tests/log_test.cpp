#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "edfleet/core/log.h"

namespace elog = edfleet::core::log;

namespace {
// Captures what is written to stderr while `fn` runs.
template <typename Fn>
std::string capture_stderr(Fn fn) {
  std::fflush(stderr);
  char path[] = "/tmp/edfleet-log-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  fn();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  unlink(path);
  return s.str();
}
}  // namespace

TEST_CASE("log lines are JSON with service, level, trace id and fields", "[log]") {
  elog::init("ingest", "info");
  auto out = capture_stderr([] {
    elog::TraceScope scope("4bf92f3577b34da6a3ce929d0e0e4736");
    elog::info("published batch", {{"accepted", 97}, {"rejected", 3}});
  });
  auto line = nlohmann::json::parse(out);
  CHECK(line["service"] == "ingest");
  CHECK(line["level"] == "info");
  CHECK(line["msg"] == "published batch");
  CHECK(line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(line["accepted"] == 97);
  CHECK(line["ts"].get<std::string>().back() == 'Z');
}

TEST_CASE("levels below the minimum are dropped; trace scopes nest", "[log]") {
  elog::init("rules", "warn");
  auto out = capture_stderr([] {
    elog::info("hidden");
    elog::TraceScope outer("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    {
      elog::TraceScope inner("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
      CHECK(elog::current_trace_id() == "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    }
    elog::warn("shown");
  });
  auto line = nlohmann::json::parse(out);
  CHECK(line["msg"] == "shown");
  CHECK(line["trace_id"] == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  elog::init("edfleet", "info");
}

TEST_CASE("invalid UTF-8 in a message does not throw", "[log]") {
  elog::init("edfleet", "info");
  auto out = capture_stderr([] { elog::error(std::string("bad \xff byte")); });
  CHECK_NOTHROW(nlohmann::json::parse(out));
}
