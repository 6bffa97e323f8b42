// ConsumerSettings: the configuration keys every topic-consuming service shares, bound under the
// service's own prefix (`<prefix>.topic`, `.consumer_group`, `.max_batch`, `.max_batch_wait`,
// `.fetch_wait_max`), and turned into a ConsumerConfig. One definition, so that analytics, rules and
// the services still to come read the same keys the same way.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "edfleet/core/config.h"
#include "edfleet/kafka/consumer.h"

namespace edfleet::kafka {

struct ConsumerSettings {
  std::string topic;
  std::string consumer_group;
  int max_batch = 500;
  std::chrono::milliseconds max_batch_wait{20};
  std::chrono::milliseconds fetch_wait_max{10};

  // Binds the five keys under `prefix` ("analytics" -> "analytics.topic", ...).
  void bind(core::ConfigSpec& spec, const std::string& prefix, std::string topic_help);

  // A ConsumerConfig for these settings; the caller sets anything else (session timeout, extra).
  ConsumerConfig consumer_config(const std::string& bootstrap_servers, std::string client_id,
                                 prometheus::Registry* registry) const;
};

}  // namespace edfleet::kafka
