#include "edfleet/kafka/embedded_broker.h"

#include <algorithm>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "edfleet/core/log.h"
#include "rdkafka_util.h"

namespace edfleet::kafka {

EmbeddedBroker::EmbeddedBroker() : EmbeddedBroker(Options{}) {}

EmbeddedBroker::EmbeddedBroker(Options options) : brokers_(options.brokers) {
  if (brokers_ < 1) throw std::runtime_error("embedded kafka broker: brokers must be at least 1");
  // The mock cluster needs an owning client handle; a producer that never produces is the lightest.
  owner_ = detail::new_client(RD_KAFKA_PRODUCER,
                              {{"client.id", "edfleet-embedded-broker"},
                               // The owner never connects anywhere; keep its notices ("no
                               // bootstrap.servers") out of the logs.
                               {"log_level", "4"}},
                              "embedded kafka broker",
                              [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, &detail::log_callback); });
  cluster_ = rd_kafka_mock_cluster_new(owner_, brokers_);
  if (cluster_ == nullptr) {
    rd_kafka_destroy(owner_);
    throw std::runtime_error("embedded kafka broker: could not start the mock cluster");
  }
  bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  try {
    for (const auto& topic : options.topics) create_topic(topic.name, topic.partitions);
  } catch (...) {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
    throw;
  }
  core::log::info("embedded kafka broker started",
                  {{"bootstrap_servers", bootstrap_servers_}, {"brokers", brokers_},
                   {"topics", options.topics.size()}});
}

EmbeddedBroker::~EmbeddedBroker() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(owner_);
}

const std::string& EmbeddedBroker::bootstrap_servers() const { return bootstrap_servers_; }

void EmbeddedBroker::create_topic(std::string_view name, int partitions) {
  const std::string topic(name);
  // Replicas add nothing in memory, but keep the metadata realistic when there are several brokers.
  const int replication = std::min(brokers_, 3);
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    throw std::runtime_error("embedded kafka broker: cannot create topic " + topic + ": " +
                             rd_kafka_err2str(err));
  }
}

void EmbeddedBroker::set_all_brokers_down() {
  for (int id = 1; id <= brokers_; ++id) rd_kafka_mock_broker_set_down(cluster_, id);
  core::log::warn("embedded kafka broker: all brokers down", {{"brokers", brokers_}});
}

void EmbeddedBroker::set_all_brokers_up() {
  for (int id = 1; id <= brokers_; ++id) rd_kafka_mock_broker_set_up(cluster_, id);
  core::log::info("embedded kafka broker: all brokers up", {{"brokers", brokers_}});
}

}  // namespace edfleet::kafka
