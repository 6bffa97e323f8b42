// The simulator's source of randomness: a seeded std::mt19937_64 with distributions written here.
//
// mt19937_64's output sequence is fixed by the C++ standard, but std::uniform_int_distribution,
// std::normal_distribution and friends are not (libstdc++ and libc++ give different numbers), so a
// run must never depend on them. The distributions below use only the engine's raw 64-bit outputs
// and libm (log, sqrt, cos): the same seed gives the same numbers with the same binary on the same
// platform (libm's last-bit rounding is the only thing that may differ elsewhere).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace edfleet::sim {

// SplitMix64's finaliser: a bijective 64-bit mixer, for deriving independent seeds.
std::uint64_t mix64(std::uint64_t x);

// A seed for one purpose (e.g. stream 7's world) derived from the run's seed and up to two labels,
// so that sub-generators never share a sequence.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0);

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t bits() { return engine_(); }
  // Uniform in [0, 1), 53 random bits.
  double uniform();
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi] (inclusive), without modulo bias.
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi);
  // Uniform index in [0, n); n > 0.
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(uniform_int(0, static_cast<std::int64_t>(n) - 1)); }
  bool chance(double p) { return uniform() < p; }
  // Exponentially distributed with the given mean (the gap of a Poisson process).
  double exponential(double mean);
  // Normally distributed (Box-Muller, one value per call).
  double normal(double mean, double stddev);
  // Poisson-distributed count (Knuth's method; fine for the small means used here).
  int poisson(double mean);
  // An index drawn with probability proportional to weights[i] (weights >= 0, not all zero).
  std::size_t weighted(std::span<const double> weights);

  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[index(items.size())];
  }

  // A random version-4 UUID in canonical lowercase form.
  std::string uuid();

 private:
  std::mt19937_64 engine_;
};

}  // namespace edfleet::sim
