// Runs one trial: the training loop of Augur's GPT (model, AdamW with muP learning rates,
// schedule, deterministic data, validation, checkpoints, data parallelism).
//
// This header is free of LibTorch types so that tools and tests can include it cheaply.
// RunTrial blocks the calling thread; callbacks run on it. Exceptions from LibTorch never
// escape: they become INTERNAL errors. Divergence is a result (RunOutcome::kDiverged).
#ifndef AUGUR_TRAINER_TRAINER_H_
#define AUGUR_TRAINER_TRAINER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "trainer/config.h"
#include "trainer/data_parallel.h"

namespace augur::trainer {

enum class RunOutcome { kCompleted, kDiverged, kStopped };

// One optimizer step's report (augur.v1.LossPoint).
struct StepReport {
  int64_t step = 0;  // Updates done, from 1.
  int64_t total_steps = 0;
  int64_t tokens = 0;     // Training tokens consumed after this step (global batch).
  double fraction = 0;    // step / total_steps.
  double train_loss = 0;  // Mean cross-entropy of this step's global batch (nats/token).
  double lr = 0;          // Base LR times schedule (hidden matrices see lr / m).
  std::optional<double> val_loss;
};

struct RunOptions {
  std::string resume_from;             // Checkpoint to continue from; empty = start fresh.
  std::string checkpoint_dir;          // Where checkpoints go (latest.ckpt); empty = none.
  GradientReducer* reducer = nullptr;  // Not owned; null = single process.
  int64_t stop_after_step = 0;  // Stop (with a checkpoint) after this step; 0 = run to the end.
                                // Data parallel: after the step that follows it. A run resumed
                                // at or past it stops at once (no step, no new checkpoint).
  // Called after every step; returning false stops the run (with a checkpoint when a directory
  // is set). Data parallel: a stop asked for on any rank reaches all ranks through the next
  // all-reduce, so every rank stops after the same (next) step.
  std::function<bool(const StepReport&)> on_step;
  // Called after a checkpoint is committed at `path`.
  std::function<void(int64_t step, const std::string& path)> on_checkpoint;
};

struct RunResult {
  RunOutcome outcome = RunOutcome::kCompleted;
  ResolvedTrial resolved;
  int64_t steps_done = 0;
  double final_train_loss = 0;
  std::optional<double> final_val_loss;
  std::string checkpoint_path;       // Last checkpoint written, if any.
  std::string device;                // "cpu" or "cuda:N".
  int threads = 0;                   // Intra-op threads used.
  double tokens_per_second = 0;      // Training throughput, excluding the first step.
  double tokens_per_cpu_second = 0;  // The same per second of process CPU time (all threads).
  std::string message;               // Why it diverged, etc.
};

// Errors: INVALID_ARGUMENT (config), NOT_FOUND (data, checkpoint), FAILED_PRECONDITION
// (checkpoint of another trial), INTERNAL (LibTorch), UNAVAILABLE (data-parallel peer).
absl::StatusOr<RunResult> RunTrial(const TrialSpec& spec, const RunOptions& options);

// Identity of everything that decides a trial's trajectory; checkpoints store it and resume
// refuses a mismatch. Excludes run-time knobs (threads, eval and checkpoint intervals).
std::string TrialFingerprint(const TrialSpec& spec, const ResolvedTrial& resolved);

const char* RunOutcomeName(RunOutcome outcome);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_TRAINER_H_
