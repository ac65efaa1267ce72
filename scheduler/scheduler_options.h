// How a Scheduler is configured, and the planner it is given.
#ifndef AUGUR_SCHEDULER_SCHEDULER_OPTIONS_H_
#define AUGUR_SCHEDULER_SCHEDULER_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.pb.h"
#include "augur/v1/trial.pb.h"
#include "common/random.h"
#include "scheduler/scheduler_observer.h"
#include "scheduler/store.h"  // SweepSlice.

namespace augur {

// Turns a spec into a stream of its planned trials, sized before any is built (StreamSweep,
// scheduler/planner.h, in production; tests inject their own). INVALID_ARGUMENT for a spec it
// cannot plan.
using SweepPlanner = std::function<absl::StatusOr<std::unique_ptr<TrialStream>>(
    const v1::SweepSpec& spec, const std::string& sweep_id)>;

// What one sweep may ask for; Submit refuses more with INVALID_ARGUMENT naming the limit (and
// the augur-scheduler flag that sets it). 0 = no limit.
struct SweepLimits {
  int64_t max_trials = 100'000;              // Planned trials, references included.
  int64_t max_points_per_trial = 1'000'000;  // Optimizer steps of the longest trial (a point each).
  int64_t max_tokens = 1'000'000'000'000;    // Tokens if every trial ran to the end.
};

struct SchedulerOptions {
  absl::Duration lease_ttl = absl::Seconds(30);  // A lease not renewed for this long expires.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  int max_points_per_batch = 5000;      // Larger LossPointBatch messages are rejected.
  size_t max_batches_per_commit = 512;  // Worker writes grouped into one transaction...
  // ...and the points in one transaction: bounds how long a decision waits for the store
  // (one such commit takes about 10 ms here).
  size_t max_points_per_commit = 2048;
  absl::Duration maintenance_interval = absl::Milliseconds(250);  // Lease expiry and dispatch.
  size_t max_sessions = 512;                // Worker sessions at once; more: RESOURCE_EXHAUSTED.
  size_t max_queued_per_session = 100'000;  // Messages waiting for a worker; more: closed.
  // A worker neither connected nor heard of for this long is left out of ListWorkers.
  absl::Duration forget_workers_after = absl::Minutes(10);
  Random* random = nullptr;               // Session tokens and sweep ids; null: SystemRandom().
  SchedulerObserver* observer = nullptr;  // Told what the scheduler does; may be null.
  SweepLimits limits;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SCHEDULER_OPTIONS_H_
