// Durable engine state per events partition: key state + meta + the next offset, written in one
// transaction, fenced by an epoch so a partition's previous owner cannot overwrite the new one's.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/engine.h"

namespace edfleet::rules {

struct LoadedPartition {
  std::int64_t epoch = 0;
  std::optional<std::int64_t> next_offset;
  PartitionSnapshot snapshot;
};

struct PartitionCheckpoint {
  std::int32_t partition = 0;
  std::int64_t epoch = 0;
  std::optional<std::int64_t> next_offset;  // nullopt: unchanged (timers fired without new records)
  PartitionSnapshot snapshot;
};

// A checkpoint was refused because another instance loaded the partition since (it owns it now).
struct PartitionFenced : std::runtime_error {
  PartitionFenced(std::int32_t p, const std::string& what) : std::runtime_error(what), partition(p) {}
  std::int32_t partition;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Claims the partition (a new epoch) and loads its state.
  virtual LoadedPartition load(const std::string& topic, std::int32_t partition) = 0;
  // All-or-nothing; throws PartitionFenced (nothing written) when an epoch is stale.
  virtual void save(const std::string& topic, const std::vector<PartitionCheckpoint>& checkpoints) = 0;
};

}  // namespace edfleet::rules
