// -----------------------------------------------------------------------------
// File: sim/hostcheck/rng.h
// -----------------------------------------------------------------------------
//
// The project's seeded generator: SplitMix64 (Steele, Lea and Flood, "Fast
// splittable pseudorandom number generators", OOPSLA 2014). The same seed
// gives the same sequence on every machine and compiler; nothing here reads
// the clock or the host.

#ifndef FORKSIM_SIM_HOSTCHECK_RNG_H_
#define FORKSIM_SIM_HOSTCHECK_RNG_H_

#include <cstdint>
#include <span>

namespace forksim {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // A value in [0, n), n > 0. The modulo bias is below 2^-40 for the small
  // n used here, and it is the same on every machine, which is what matters.
  uint64_t Below(uint64_t n) { return Next() % n; }

  // True with probability 1/n.
  bool OneIn(uint64_t n) { return Below(n) == 0; }

  template <typename T>
  const T& Pick(std::span<const T> values) {
    return values[Below(values.size())];
  }

 private:
  uint64_t state_;
};

// MixSeed()
//
// One generator per case: the case's stream depends on (seed, family, ABI,
// index) only, so that case k is the same whatever --cases, --shard or the
// order the cases run in.
inline uint64_t MixSeed(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  SplitMix64 g(seed);
  uint64_t x = g.Next() ^ a;
  x = SplitMix64(x).Next() ^ b;
  return SplitMix64(x).Next() ^ c;
}

}  // namespace forksim

#endif  // FORKSIM_SIM_HOSTCHECK_RNG_H_
