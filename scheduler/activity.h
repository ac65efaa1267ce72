// Two counters the scheduler's parts share. `version` grows whenever anything a ranking shows
// may have changed (a ranking watch waits on it). `handed` grows whenever one part hands work to
// another (or a caller hands work to a part): with every part idle and `handed` unchanged across
// the check, nothing is left to do (Scheduler::WaitUntilIdle). Thread-safe.
#ifndef AUGUR_SCHEDULER_ACTIVITY_H_
#define AUGUR_SCHEDULER_ACTIVITY_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace augur {

class Activity {
 public:
  explicit Activity(const Clock* clock) : clock_(clock) {}

  void Changed() {
    absl::MutexLock lock(&mu_);
    ++version_;
  }
  // The version once it exceeds `seen`, or the current one after `timeout` on the clock (or once
  // Close was called).
  int64_t WaitForChange(int64_t seen, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto changed = [this, seen]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return version_ > seen || closed_; };
    clock_->AwaitWithDeadline(mu_, absl::Condition(&changed), clock_->Now() + timeout);
    return version_;
  }
  int64_t version() {
    absl::MutexLock lock(&mu_);
    return version_;
  }
  // Wakes every WaitForChange for good (the scheduler is stopping).
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  void Handed() { handed_.fetch_add(1, std::memory_order_acq_rel); }
  int64_t handed() const { return handed_.load(std::memory_order_acquire); }

 private:
  const Clock* const clock_;
  absl::Mutex mu_;
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> handed_{0};
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_ACTIVITY_H_
