// Who goes first at the store: a decision round (a few rows that a stop order waits for) goes
// ahead of the point writer's next batch (thousands of points that only acknowledgements wait
// for). A decider claims priority for as long as it plans and commits; the writer, before each
// commit, waits until no claim is held, but never past `max_yield` after the claim was made, so
// a decider busy round after round cannot starve the points. Thread-safe.
#ifndef AUGUR_SCHEDULER_COMMIT_PRIORITY_H_
#define AUGUR_SCHEDULER_COMMIT_PRIORITY_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace augur {

class CommitPriority {
 public:
  CommitPriority(const Clock* clock, absl::Duration max_yield)
      : clock_(clock), max_yield_(max_yield) {}

  // Holds priority while alive.
  class Claim {
   public:
    explicit Claim(CommitPriority* p) : p_(p) { p_->Add(+1); }
    ~Claim() { p_->Add(-1); }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;

   private:
    CommitPriority* const p_;
  };

  // For the bulk writer: returns once no claim is held, or once the clock is `max_yield` past
  // the start of the claim held now.
  void AwaitTurn() {
    absl::MutexLock lock(&mu_);
    auto clear = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return claims_ == 0; };
    if (claims_ == 0) return;
    clock_->AwaitWithDeadline(mu_, absl::Condition(&clear), claimed_since_ + max_yield_);
  }

 private:
  void Add(int d) {
    absl::MutexLock lock(&mu_);
    if (claims_ == 0) claimed_since_ = clock_->Now();
    claims_ += d;
  }

  const Clock* const clock_;
  const absl::Duration max_yield_;
  absl::Mutex mu_;
  int claims_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time claimed_since_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_COMMIT_PRIORITY_H_
