// Where the events stage forwards events for the repartitioned rules
// (edfleet.rules.repartition.v1, README "Repartitioning").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edfleet::rules {

// One event forwarded for one group field: keyed "<tenant>/<group value>" so that every event of
// that value lands in one partition of the repartition topic.
struct RepartitionRecord {
  std::string key;                    // "<tenant>/<group value>"
  std::string group;                  // the group field's canonical path, e.g. "course_id"
  std::int32_t source_partition = 0;  // where the event was read on the events topic
  std::int64_t source_offset = 0;
  std::string event;                  // the original edfleet.events.v1.Event record value
};

class RepartitionPublisher {
 public:
  virtual ~RepartitionPublisher() = default;
  // Returns once every record is acknowledged, in order per destination partition; throws when one is
  // not (the caller retries the whole batch, and the repartitioned stage skips what it already has).
  virtual void publish(const std::vector<RepartitionRecord>& records) = 0;
};

}  // namespace edfleet::rules
