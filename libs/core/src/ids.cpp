#include "edfleet/core/ids.h"

#include <cstdio>
#include <random>

namespace edfleet::core {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::mt19937_64& thread_engine() {
  // Seeded from std::random_device (the kernel's CSPRNG on Linux) once per thread.
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seq{device(), device(), device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seq);
  }()};
  return engine;
}

std::string format_uuid(std::uint64_t high, std::uint64_t low) {
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0xffff),
                static_cast<unsigned>(low >> 48), static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return std::string(buf, 36);
}

std::string hex128(std::uint64_t high, std::uint64_t low) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return std::string(buf, 32);
}

}  // namespace

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!is_hex(text[i])) {
      return false;
    }
  }
  return true;
}

bool is_trace_id(std::string_view text) {
  if (text.size() != 32) return false;
  bool all_zero = true;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    if (c != '0') all_zero = false;
  }
  return !all_zero;
}

std::string RandomIdGenerator::uuid() {
  auto& engine = thread_engine();
  std::uint64_t high = engine();
  std::uint64_t low = engine();
  high = (high & ~0xf000ULL) | 0x4000ULL;                            // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;       // RFC 4122 variant
  return format_uuid(high, low);
}

std::string RandomIdGenerator::trace_id() {
  auto& engine = thread_engine();
  std::uint64_t high = engine();
  std::uint64_t low = engine() | 1;  // never all zero
  return hex128(high, low);
}

RandomIdGenerator& RandomIdGenerator::instance() {
  static RandomIdGenerator generator;
  return generator;
}

std::string SequentialIdGenerator::uuid() {
  const std::uint64_t n = next_.fetch_add(1);
  return format_uuid(0x4000ULL, 0x8000000000000000ULL | n);
}

std::string SequentialIdGenerator::trace_id() { return hex128(0, next_.fetch_add(1)); }

}  // namespace edfleet::core
