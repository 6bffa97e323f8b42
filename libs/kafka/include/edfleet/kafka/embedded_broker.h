// An in-process Kafka cluster (librdkafka's mock cluster) for tests and `edfleet up`. It speaks the
// real Kafka protocol on 127.0.0.1, so any client, in any process, can connect while it lives.
// Its data lives in memory (about 5 MiB per partition is retained).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "edfleet/contracts/topics.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace edfleet::kafka {

class EmbeddedBroker {
 public:
  struct Options {
    int brokers = 1;
    std::vector<contracts::TopicSpec> topics = contracts::fleet_topics();
  };

  // Starts the brokers and creates `options.topics`; throws std::runtime_error on failure.
  // (Two constructors rather than `Options = {}`: GCC cannot use a nested struct's default member
  // initializers in a default argument of the enclosing class.)
  EmbeddedBroker();
  explicit EmbeddedBroker(Options options);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:PORT[,127.0.0.1:PORT...]"
  const std::string& bootstrap_servers() const;
  // Creates a topic (topics the clients ask for are otherwise auto-created with 4 partitions).
  // An existing topic is left as it is.
  void create_topic(std::string_view name, int partitions);
  // Makes every broker refuse connections / accept them again (outage tests).
  void set_all_brokers_down();
  void set_all_brokers_up();

 private:
  int brokers_;
  rd_kafka_s* owner_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_servers_;
};

}  // namespace edfleet::kafka
