#include "domain/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace edfleet::sim {

std::size_t LatencyHistogram::bucket_of(std::uint64_t value) {
  constexpr std::uint64_t kLinear = 1ULL << (kSubBits + 1);   // below 64: one bucket per value
  if (value < kLinear) return static_cast<std::size_t>(value);
  const int exponent = std::bit_width(value) - 1;                  // >= kSubBits + 1
  const std::uint64_t sub = (value >> (exponent - kSubBits)) & ((1ULL << kSubBits) - 1);
  return (static_cast<std::size_t>(exponent - kSubBits + 1) << kSubBits) + static_cast<std::size_t>(sub);
}

std::uint64_t LatencyHistogram::upper_bound_of(std::size_t bucket) {
  constexpr std::size_t kLinear = 1ULL << (kSubBits + 1);
  if (bucket < kLinear) return bucket;
  const int exponent = static_cast<int>(bucket >> kSubBits) + kSubBits - 1;
  const std::uint64_t sub = bucket & ((1ULL << kSubBits) - 1);
  const int shift = exponent - kSubBits;
  return (((1ULL << kSubBits) + sub) << shift) + ((1ULL << shift) - 1);
}

void LatencyHistogram::record(std::chrono::microseconds value) {
  const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(0, value.count()));
  ++counts_[bucket_of(v)];
  ++count_;
  max_ = std::max(max_, v);
  sum_ += static_cast<long double>(v);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

std::chrono::microseconds LatencyHistogram::mean() const {
  if (count_ == 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(sum_ / static_cast<long double>(count_))));
}

std::chrono::microseconds LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return std::chrono::microseconds(0);
  const double clamped = std::clamp(p, 0.0, 100.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::chrono::microseconds(static_cast<std::int64_t>(std::min(upper_bound_of(i), max_)));
  }
  return max();
}

}  // namespace edfleet::sim
