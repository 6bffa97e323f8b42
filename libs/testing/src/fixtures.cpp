#include <atomic>
#include <cctype>
#include <string>

#include "edfleet/kafka/topic_reader.h"
#include "edfleet/testing/testing.h"

namespace edfleet::testing {

kafka::EmbeddedBroker& shared_broker() {
  static kafka::EmbeddedBroker broker;
  return broker;
}

pg::EmbeddedPostgres& shared_postgres() {
  static pg::EmbeddedPostgres postgres;
  return postgres;
}

std::vector<kafka::ConsumedMessage> read_topic(const std::string& topic, std::chrono::milliseconds timeout) {
  return kafka::read_topic(shared_broker().bootstrap_servers(), topic, timeout);
}

std::string fresh_database(std::string_view prefix) {
  static std::atomic<int> counter{0};
  std::string name;
  for (unsigned char c : prefix.substr(0, 48)) {  // identifiers stop at 63 bytes
    name += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  }
  if (name.empty()) name = "db";
  // The server is private to this process and the counter never repeats, so the name is new.
  name += "_" + std::to_string(++counter);
  auto& postgres = shared_postgres();
  postgres.create_database(name);
  return postgres.url(name);
}

}  // namespace edfleet::testing
