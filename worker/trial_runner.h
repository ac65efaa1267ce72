// How the worker daemon runs the trial of a lease. The production runner starts augur-train as
// a child process (worker/process_trial_runner.h); tests use an in-process fake. Either way a
// trial reports through Callbacks, from any thread, until on_end has been called once.
#ifndef AUGUR_WORKER_TRIAL_RUNNER_H_
#define AUGUR_WORKER_TRIAL_RUNNER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/worker.pb.h"

namespace augur {

// A trial in progress. Destroying it kills the trial if it has not ended. Thread-safe.
class RunningTrial {
 public:
  virtual ~RunningTrial() = default;
  // Ends the trial as soon as possible; on_end reports STOPPED.
  virtual void Stop() = 0;
  // Stop, with the trial killed if it has not ended within `grace` (a fenced trial must be gone
  // before its lease can expire at the scheduler). By default the same as Stop().
  virtual void StopWithin(absl::Duration grace) { Stop(); }
  // Writes a checkpoint, reports it, then ends; on_end reports PAUSED.
  virtual void Pause() = 0;
  // The scheduler has durably committed the checkpoint at `step`: the trial resumes from it
  // from now on, so it must be kept, and older ones may go (common/checkpoint_retention.h).
  virtual void CheckpointCommitted(int64_t step) {}
};

// Where a trial runs, chosen by the daemon: one device per data-parallel rank (rank i on
// devices[i]), held by this trial alone until it ends.
struct Placement {
  bool gpu = false;          // True: CUDA device ordinals. False: CPU slot numbers.
  std::vector<int> devices;  // Never empty; a trial asking for k > 1 GPUs gets k of them.
};

class TrialRunner {
 public:
  struct Callbacks {
    std::function<void(const v1::LossPoint&)> on_point;
    std::function<void(const v1::CheckpointCommit&)> on_checkpoint;  // trial_id/fencing unset.
    // Exactly once, last, and only when nothing of the trial runs any more (its devices are
    // handed to the next trial then), also when the RunningTrial is destroyed early.
    // `state` is COMPLETED, STOPPED, PAUSED, WAITING (reached Lease.run_until_fraction, with
    // its checkpoint reported), DIVERGED or FAILED.
    std::function<void(v1::TrialState state, const std::string& message, int64_t last_step)> on_end;
  };
  virtual ~TrialRunner() = default;
  // The trial ended for good (the scheduler says so): nothing will resume from its
  // checkpoints, which may be deleted. Its curve and config stay.
  virtual void Discard(const std::string& trial_id) {}
  // Trials whose checkpoints are kept on this machine (at most `limit`, in no set order):
  // a worker names them when it connects, to learn which ended while it was away.
  virtual std::vector<std::string> KeptTrials(int limit) const { return {}; }
  // Starts the lease's trial on `placement` (resuming from lease.resume_from() when set).
  virtual absl::StatusOr<std::unique_ptr<RunningTrial>> Start(const v1::Lease& lease,
                                                              const Placement& placement,
                                                              Callbacks callbacks) = 0;
};

}  // namespace augur

#endif  // AUGUR_WORKER_TRIAL_RUNNER_H_
