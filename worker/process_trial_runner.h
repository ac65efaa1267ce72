// The production TrialRunner: each trial is augur-train child processes (trainer/), so a crash
// or an out-of-memory kill ends that trial and not the worker. The trial's config is written as
// YAML (JSON form, which YAML reads) into its own folder under `work_dir`, together with its
// curve CSV and checkpoints; the child streams JSON lines (--emit-jsonl) that become points,
// checkpoint commits and the end. Pause is SIGTERM (augur-train checkpoints, exits 4); stop is
// SIGTERM with a short grace, then SIGKILL. A lease with run_until_fraction > 0 runs with
// --stop-at-fraction (augur-train checkpoints there and exits 5): the trial ends WAITING.
//
// A trial placed on k > 1 devices runs as k data-parallel ranks (`--rank i --world-size k
// --rendezvous DIR`, DIR fresh under the trial's folder), rank i with CUDA_VISIBLE_DEVICES set to
// devices[i] on a GPU worker. Only rank 0 writes points, the curve and checkpoints (the trainer
// guarantees that), so only its lines are read. The trial ends when every rank has exited, in
// the worst of their states. A failed rank takes the others down at once (SIGKILL): they would
// otherwise wait forever in a collective that can no longer complete.
#ifndef AUGUR_WORKER_PROCESS_TRIAL_RUNNER_H_
#define AUGUR_WORKER_PROCESS_TRIAL_RUNNER_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "worker/trial_runner.h"

namespace augur {

struct ProcessRunnerOptions {
  std::string train_binary = "augur-train";  // Path, or a name found on PATH.
  std::string work_dir = "augur-work";       // Per-trial folders are created below it.
  int threads_per_trial = 0;                 // --threads per CPU rank; 0 = trainer default.
  std::vector<std::string> extra_args;       // Appended to every command line.
  // How long the other ranks may take to follow a rank that ended cleanly (rank 0 may still be
  // writing the final checkpoint) before they are killed as hung.
  absl::Duration rank_exit_grace = absl::Seconds(120);
};

// Thread-safe: trials are independent.
class ProcessTrialRunner : public TrialRunner {
 public:
  explicit ProcessTrialRunner(ProcessRunnerOptions options) : options_(std::move(options)) {}
  // INVALID_ARGUMENT for an empty placement; NOT_FOUND if the trainer cannot be executed (then
  // no rank is left running); UNAVAILABLE if the trial folder cannot be written.
  absl::StatusOr<std::unique_ptr<RunningTrial>> Start(const v1::Lease& lease,
                                                      const Placement& placement,
                                                      Callbacks callbacks) override;

  // Deletes the trial's checkpoints folder (logged with the bytes freed).
  void Discard(const std::string& trial_id) override;

  // Trial folders under work_dir that still have a checkpoints folder (Discard removes it),
  // named by the trial id Start wrote in them.
  std::vector<std::string> KeptTrials(int limit) const override;

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
// was asked for and STOPPED otherwise, 5 (reached --stop-at-fraction) PAUSED when a pause was
// asked for and WAITING otherwise; anything else (or a signal) FAILED.
v1::TrialState StateForExit(bool exited, int code, bool pause_requested);

// The CUDA_VISIBLE_DEVICES value that shows a child this process's CUDA device `ordinal`:
// ordinals count only the devices this process sees, so under `parent_visible` = "2,3" (the
// worker's own CUDA_VISIBLE_DEVICES; null or empty if unset) ordinal 1 is "3".
std::string ChildVisibleDevice(int ordinal, const char* parent_visible);

// The worse of two end states, for a trial whose ranks ended differently:
// FAILED > DIVERGED > STOPPED > PAUSED > WAITING > COMPLETED.
v1::TrialState WorseState(v1::TrialState a, v1::TrialState b);

}  // namespace augur

#endif  // AUGUR_WORKER_PROCESS_TRIAL_RUNNER_H_
