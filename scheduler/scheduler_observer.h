// What the scheduler reports as it works, for benchmarks and metrics. The scheduler keeps no
// statistics of its own: an observer given in SchedulerOptions receives these calls, from the
// scheduler's threads, so an implementation is thread-safe and quick. Every method has a no-op
// default.
#ifndef AUGUR_SCHEDULER_SCHEDULER_OBSERVER_H_
#define AUGUR_SCHEDULER_SCHEDULER_OBSERVER_H_

#include <cstdint>
#include <span>

#include "absl/time/time.h"

namespace augur {

// Where one decision round's time went.
struct RoundTiming {
  absl::Duration waited;   // Its earliest milestone event was queued -> the round started.
  absl::Duration planned;  // Started -> the policy returned (gather, summarize, decide).
  absl::Duration total;    // Started -> its stop orders were queued.
};

class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;

  // A write transaction committed `points` new loss points.
  virtual void PointsCommitted(int64_t points) {}
  // A stop order was queued for a worker `since_reached` after the trial reached what stopped
  // it (for a user's stop: after the call came in).
  virtual void StopOrderQueued(absl::Duration since_reached) {}
  // A policy's per-trial stage ran on `trials` trials (a round reuses kept summaries).
  virtual void TrialsSummarized(int64_t trials) {}
  // A batch of decision rounds committed: each round's timing, the batch's transaction, and per
  // stop order the time from its trial reaching the milestone to the start of its round.
  virtual void RoundsCommitted(std::span<const RoundTiming> rounds, absl::Duration commit,
                               std::span<const absl::Duration> reached_to_round) {}
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SCHEDULER_OBSERVER_H_
