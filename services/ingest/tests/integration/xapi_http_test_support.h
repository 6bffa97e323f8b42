// What the xAPI integration tests share: an edfleet-ingest process on the binary's embedded Kafka and
// Postgres, an HTTP client for it, the xAPI request headers, URL encoding and the error body. Header-only;
// each test binary includes it once.
#pragma once

#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "edfleet/testing/testing.h"

namespace edfleet::ingest::xapi_test {

// Starts edfleet-ingest on a fresh database `database` with `settings` (EDFLEET_INGEST_* variables) added
// to the broker, database and Kafka time-out every xAPI test needs.
inline std::unique_ptr<testing::ServiceProcess> start_ingest(const std::string& database,
                                                             std::map<std::string, std::string> settings) {
  settings.emplace("EDFLEET_INGEST_KAFKA_BOOTSTRAP_SERVERS", testing::shared_broker().bootstrap_servers());
  settings.emplace("EDFLEET_INGEST_POSTGRES_URL", testing::fresh_database(database));
  settings.emplace("EDFLEET_INGEST_KAFKA_TIMEOUT", "5s");
  return std::make_unique<testing::ServiceProcess>("edfleet-ingest", std::move(settings));
}

inline httplib::Client http_client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(15));
  return c;
}

// The gateway's signed tenant/principal headers plus X-Experience-API-Version (none when `version`
// is empty).
inline httplib::Headers xapi_headers(const std::string& tenant, const std::string& version = "1.0.3") {
  auto h = edfleet::testing::with_identity<httplib::Headers>({tenant, "key-1", ""});
  if (!version.empty()) h.emplace("X-Experience-API-Version", version);
  return h;
}

// Percent-encodes everything but RFC 3986 unreserved characters (query parameter values).
inline std::string url_encoded(const std::string& text) {
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

// The {"error": {...}} of an error response; an empty object when the body is not one.
inline nlohmann::json error_of(const httplib::Result& r) {
  const auto body = nlohmann::json::parse(r->body, nullptr, false);
  return body.is_object() && body.contains("error") ? body["error"] : nlohmann::json::object();
}

}  // namespace edfleet::ingest::xapi_test
