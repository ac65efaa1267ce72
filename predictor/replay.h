// Replays a sweep of complete curves as if it were running: at each decision fraction the
// policy sees every trial's points up to that fraction (or up to where it was stopped) and
// its decisions are applied. Points beyond the current fraction are used only to score the
// outcome (true final loss, prediction error), never to decide. Pure; thread-safe.
#ifndef AUGUR_PREDICTOR_REPLAY_H_
#define AUGUR_PREDICTOR_REPLAY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"
#include "predictor/policy.h"

namespace augur::predictor {

struct ReplayOptions {
  // Fractions at which the policy decides; the policy's own ExtraDecisionFractions() (ASHA's
  // rungs, top-k's fraction) are added.
  std::vector<double> milestones = {0.1, 0.2, 0.3};
};

struct TrialOutcome {
  std::string id;
  double stop_fraction = 1.0;  // Where it stopped (1 = ran to the end).
  bool stopped = false;        // By the policy.
  bool diverged = false;
  double true_final_loss = kNaN;  // FinalLoss of the complete curve (inf if diverged).
  std::string reason;             // Of the stop, if any.
};

struct MilestoneError {
  double milestone = 0;
  double median_abs_rel_error = kNaN;  // |predicted - true| / true over trials predicted here.
  int predictions = 0;
};

struct ReplayResult {
  std::string policy;
  std::string group;
  // Compute spent as a fraction of running every trial to the end, each trial weighted by
  // total_steps x params (by 1 where unknown).
  double compute_fraction = 0;
  std::string chosen_id;  // Best true final loss among the trials that ran to the end.
  double chosen_final_loss = kNaN;
  std::string best_id;  // Best true final loss over the whole sweep.
  double best_final_loss = kNaN;
  double regret = kNaN;  // chosen - best, in loss units.
  std::vector<TrialOutcome> trials;
  std::vector<MilestoneError> errors;
  std::vector<std::string> skipped;  // Incomplete runs left out (their truth is unknown).
};

// INVALID_ARGUMENT when no complete curve remains or a milestone is outside (0, 1].
absl::StatusOr<ReplayResult> Replay(const std::vector<Curve>& sweep, const StoppingPolicy& policy,
                                    const ReplayOptions& options = {});

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_REPLAY_H_
