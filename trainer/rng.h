// Counter-based randomness: every random number the trainer uses is a pure function of a seed
// and a position (parameter index, step, sequence index), so a resumed run needs no RNG state
// beyond its seeds and step, and data-parallel ranks agree without communication.
#ifndef AUGUR_TRAINER_RNG_H_
#define AUGUR_TRAINER_RNG_H_

#include <cmath>
#include <cstdint>
#include <numbers>

namespace augur::trainer {

// SplitMix64 finalizer: a bijective mix of 64 bits.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline uint64_t Hash3(uint64_t a, uint64_t b, uint64_t c) { return Mix64(Mix64(Mix64(a) ^ b) ^ c); }

// Uniform in (0, 1) from 64 random bits.
inline double UnitFromBits(uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

// Standard normal number `index` of stream `stream` under `seed` (Box-Muller on two hashes).
inline double NormalAt(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t h = Hash3(seed, stream, index);
  const double u1 = UnitFromBits(h);
  const double u2 = UnitFromBits(Mix64(h ^ 0x5851f42d4c957f2dULL));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_RNG_H_
