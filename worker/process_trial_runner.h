// The production TrialRunner: each trial is an augur-train child process (trainer/), so a
// crash or an out-of-memory kill ends that trial and not the worker. The trial's config is
// written as YAML (JSON form, which YAML reads) into its own folder under `work_dir`, together
// with its curve CSV and checkpoints; the child streams JSON lines (--emit-jsonl) that become
// points, checkpoint commits and the end. Pause is SIGTERM (augur-train checkpoints, exits 4);
// stop is SIGTERM with a short grace, then SIGKILL.
#ifndef AUGUR_WORKER_PROCESS_TRIAL_RUNNER_H_
#define AUGUR_WORKER_PROCESS_TRIAL_RUNNER_H_

#include <string>
#include <vector>

#include "worker/trial_runner.h"

namespace augur {

struct ProcessRunnerOptions {
  std::string train_binary = "augur-train";  // Path, or a name found on PATH.
  std::string work_dir = "augur-work";       // Per-trial folders are created below it.
  int threads_per_trial = 0;                 // --threads for CPU trials; 0 = trainer default.
  std::vector<std::string> extra_args;       // Appended to every command line.
};

class ProcessTrialRunner : public TrialRunner {
 public:
  explicit ProcessTrialRunner(ProcessRunnerOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::unique_ptr<RunningTrial>> Start(const v1::Lease& lease,
                                                      Callbacks callbacks) override;

  // The folder a trial's files go to (trial ids contain '/').
  std::string TrialDir(const std::string& trial_id) const;

 private:
  const ProcessRunnerOptions options_;
};

// augur-train next to the running binary (installed layout) or in the build tree's trainer/
// (build/<dir>/binary -> build/trainer/augur-train); empty if neither exists.
std::string FindTrainBinaryNearSelf();

// This machine's host name.
std::string LocalHostname();

// Maps augur-train's exit to a trial state: 0 COMPLETED, 3 DIVERGED, 4 PAUSED when a pause
// was asked for and STOPPED otherwise; anything else (or a signal) FAILED.
v1::TrialState StateForExit(bool exited, int code, bool pause_requested);

}  // namespace augur

#endif  // AUGUR_WORKER_PROCESS_TRIAL_RUNNER_H_
