// A latency histogram in the spirit of HdrHistogram, small enough to write here: microsecond values
// in log2 buckets, each split into 32 linear sub-buckets, so any percentile is within about 3% of the
// true value (exact below 64 us), in fixed memory, and histograms of several workers merge exactly.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace edfleet::sim {

class LatencyHistogram {
 public:
  void record(std::chrono::microseconds value);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::chrono::microseconds max() const { return std::chrono::microseconds(max_); }
  std::chrono::microseconds mean() const;
  // The smallest recorded-bucket value v such that at least p% of the values are <= v (p in 0..100),
  // reported as the bucket's upper bound but never above max(); 0 when empty.
  std::chrono::microseconds percentile(double p) const;

 private:
  static constexpr int kSubBits = 5;
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t upper_bound_of(std::size_t bucket);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace edfleet::sim
