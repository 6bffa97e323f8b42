#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "endpoints.h"

using namespace edfleet::cli;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("edfleet-cli-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

Endpoints sample() {
  Endpoints e;
  e.pid = 42;
  e.started_at = "2026-11-25T09:30:00Z";
  e.kafka_bootstrap_servers = "127.0.0.1:39092";
  e.postgres_url = "postgresql://postgres@127.0.0.1:5433/postgres";
  e.gateway_database_url = "postgresql://postgres@127.0.0.1:5433/edfleet_gateway";
  e.services = {{"ingest", "127.0.0.1:7101", "127.0.0.1:7102", 100},
                {"analytics", "127.0.0.1:7501", "127.0.0.1:7502", 101}};
  return e;
}

}  // namespace

TEST_CASE("endpoints round-trip through the file") {
  TempDir dir;
  auto path = (dir.path / "nested" / "endpoints.json").string();
  REQUIRE(write_endpoints_file(path, sample()).ok());
  auto back = read_endpoints_file(path);
  REQUIRE(back.ok());
  CHECK(back->pid == 42);
  CHECK(back->kafka_bootstrap_servers == "127.0.0.1:39092");
  CHECK(back->gateway_database_url == "postgresql://postgres@127.0.0.1:5433/edfleet_gateway");
  REQUIRE(back->find("analytics") != nullptr);
  CHECK(back->find("analytics")->grpc == "127.0.0.1:7501");
  CHECK(back->find("analytics")->pid == 101);
  CHECK(back->find("gateway") == nullptr);
  // No temp files left behind.
  CHECK(std::distance(fs::directory_iterator(dir.path / "nested"), fs::directory_iterator()) == 1);
}

TEST_CASE("unreadable endpoints files are reported") {
  TempDir dir;
  auto missing = read_endpoints_file((dir.path / "none.json").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == edfleet::core::ErrorCode::kNotFound);

  auto path = dir.path / "bad.json";
  std::ofstream(path) << "{\"version\": 7}";
  auto bad = read_endpoints_file(path.string());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == edfleet::core::ErrorCode::kInvalidArgument);
}

TEST_CASE("where the endpoints file is") {
  CHECK(endpoints_path("/x/e.json", "/data") == "/x/e.json");
  CHECK(endpoints_path("", "/data") == "/data/endpoints.json");
  CHECK(endpoints_path("", "") == ".edfleet/endpoints.json");
}

TEST_CASE("addresses: flag, then endpoints file, then default port") {
  TempDir dir;
  auto path = (dir.path / "endpoints.json").string();
  CHECK(resolve_address("ingest", "", path).address == "127.0.0.1:7101");
  CHECK(resolve_address("ingest", "", path).source == "default port");
  REQUIRE(write_endpoints_file(path, sample()).ok());
  auto analytics = sample().services[1];
  Endpoints e = sample();
  e.services[0].grpc = "127.0.0.1:40001";
  REQUIRE(write_endpoints_file(path, e).ok());
  CHECK(resolve_address("ingest", "", path).address == "127.0.0.1:40001");
  CHECK_THAT(resolve_address("ingest", "", path).source, Catch::Contains(path));
  CHECK(resolve_address("ingest", "h:1", path).address == "h:1");
  CHECK(resolve_address("ingest", "h:1", path).source == "--ingest");
  CHECK(resolve_address("gateway", "", path).address == "127.0.0.1:7000");
}
