// Identifiers: UUIDs for events and records, W3C trace ids for requests. Injected through
// IdGenerator so tests can predict them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace edfleet::core {

// True for a canonical textual UUID (8-4-4-4-12 hex digits, either case).
bool is_uuid(std::string_view text);

// True for a W3C trace id: 32 lowercase hex digits, not all zero.
bool is_trace_id(std::string_view text);

// Makes new identifiers.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string uuid() = 0;       // a random (version 4) UUID, lowercase
  virtual std::string trace_id() = 0;   // 32 lowercase hex digits
};

// Random ids from a per-thread CSPRNG-seeded engine.
class RandomIdGenerator final : public IdGenerator {
 public:
  std::string uuid() override;
  std::string trace_id() override;
  static RandomIdGenerator& instance();
};

// Predictable ids for tests: 00000000-0000-4000-8000-000000000001, ...002, and so on.
class SequentialIdGenerator final : public IdGenerator {
 public:
  std::string uuid() override;
  std::string trace_id() override;

 private:
  std::atomic<std::uint64_t> next_{1};
};

}  // namespace edfleet::core
