// Reading a topic's current records without a consumer group, for tests, tools and inspection
// (a DLQ, what a service published). Services consume with ConsumerLoop.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "edfleet/kafka/message.h"

namespace edfleet::kafka {

// Every record of `topic` that is there when it is called: each partition from its first record up
// to its end (high watermark) at that moment, read by an assigned consumer (no group: no join delay,
// nothing committed). Records come ordered by partition, then offset. Throws std::runtime_error when
// the topic's partitions are unknown (no such topic, or the cluster did not answer) or not every
// record has arrived within `timeout`. (The embedded broker auto-creates a topic asked about.)
std::vector<ConsumedMessage> read_topic(const std::string& bootstrap_servers, const std::string& topic,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace edfleet::kafka
