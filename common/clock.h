// Time as a dependency: code that reasons about leases, heartbeats or deadlines takes a Clock
// so tests can advance a FakeClock instead of sleeping. Timed waits go through the clock too,
// so that a loop waiting for "work, or the next tick" wakes when a FakeClock is advanced.
#ifndef AUGUR_COMMON_CLOCK_H_
#define AUGUR_COMMON_CLOCK_H_

#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace augur {

// Thread-safe source of the current time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  int64_t NowUnixMs() const { return absl::ToUnixMillis(Now()); }
  // With `mu` held: waits until `cond` holds or this clock reaches `deadline`, like
  // absl::Mutex::AwaitWithDeadline on this clock's time (absl::InfiniteFuture: no deadline).
  // Returns whether `cond` holds. `mu` is held again on return.
  virtual bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& cond,
                                 absl::Time deadline) const = 0;
};

// The wall clock. Never destroyed; safe from any thread.
Clock& RealClock();

// A clock that moves only when told to. Thread-safe. Advance wakes every AwaitWithDeadline
// whose deadline it passes; an object waiting on this clock must not be destroyed while
// Advance runs on another thread.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d);
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& cond,
                         absl::Time deadline) const override;

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  // The mutexes of the waits in progress (with how many wait on each), to release after an
  // advance so that their conditions are evaluated again against the new time.
  mutable absl::Mutex waiters_mu_;
  mutable std::map<absl::Mutex*, int> waiters_ ABSL_GUARDED_BY(waiters_mu_);
};

}  // namespace augur

#endif  // AUGUR_COMMON_CLOCK_H_
