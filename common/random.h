// Randomness as a dependency: code that draws ids or tokens takes a Random so that tests can
// seed it, while production draws from the operating system.
#ifndef AUGUR_COMMON_RANDOM_H_
#define AUGUR_COMMON_RANDOM_H_

#include <cstdint>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace augur {

// A thread-safe source of uniformly distributed 64-bit values.
class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next() = 0;
};

// The operating system's entropy (std::random_device: getrandom on Linux), suitable for session
// tokens. Never destroyed; safe from any thread.
Random& SystemRandom();

// A reproducible sequence from `seed` (tests). Thread-safe.
class SeededRandom : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  uint64_t Next() override {
    absl::MutexLock lock(&mu_);
    return engine_();
  }

 private:
  absl::Mutex mu_;
  std::mt19937_64 engine_ ABSL_GUARDED_BY(mu_);
};

// Always 0 (tests that name fencing tokens: the store's tokens then count 1, 2, 3 per trial).
class ZeroRandom : public Random {
 public:
  uint64_t Next() override { return 0; }
};

}  // namespace augur

#endif  // AUGUR_COMMON_RANDOM_H_
