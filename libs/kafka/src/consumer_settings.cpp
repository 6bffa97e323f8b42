#include "edfleet/kafka/consumer_settings.h"

namespace edfleet::kafka {

void ConsumerSettings::bind(core::ConfigSpec& spec, const std::string& prefix, std::string topic_help) {
  spec.bind(prefix + ".topic", topic, std::move(topic_help));
  spec.bind(prefix + ".consumer_group", consumer_group, "Kafka consumer group id (instances split partitions)");
  spec.bind(prefix + ".max_batch", max_batch, "most records handled in one batch (one transaction per batch)");
  spec.bind(prefix + ".max_batch_wait", max_batch_wait, "how long a started batch waits to fill up");
  spec.bind(prefix + ".fetch_wait_max", fetch_wait_max, "longest a Kafka fetch waits for data (fetch.wait.max.ms)");
}

ConsumerConfig ConsumerSettings::consumer_config(const std::string& bootstrap_servers, std::string client_id,
                                                 prometheus::Registry* registry) const {
  ConsumerConfig config;
  config.bootstrap_servers = bootstrap_servers;
  config.group_id = consumer_group;
  config.topics = {topic};
  config.client_id = std::move(client_id);
  config.max_batch = static_cast<std::size_t>(max_batch);
  config.max_batch_wait = max_batch_wait;
  config.fetch_wait_max = fetch_wait_max;
  config.registry = registry;
  return config;
}

}  // namespace edfleet::kafka
