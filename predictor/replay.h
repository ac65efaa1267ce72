// Replays a sweep of complete curves as if it were running: at each decision fraction the
// policy sees every trial's points up to that fraction (or up to where it was stopped) and
// its decisions are applied. Points beyond the current fraction are used only to score the
// outcome (true final loss, prediction error), never to decide. Pure; thread-safe.
#ifndef AUGUR_PREDICTOR_REPLAY_H_
#define AUGUR_PREDICTOR_REPLAY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"
#include "predictor/policy.h"

namespace augur::predictor {

struct ReplayOptions {
  // Fractions at which the policy decides; the policy's own ExtraDecisionFractions() (ASHA's
  // rungs, top-k's fraction) are added.
  std::vector<double> milestones = PolicyConfig{}.milestones;
  // Scoring on another quantity than the one decided on (e.g. decide on the noisy train loss,
  // score on validation loss): each trial's final value of it, by trial id. When set, chosen,
  // best and regret are computed on these values, and a trial without one is not scored.
  std::map<std::string, double> score_finals;
};

// What the policy said about one trial at one milestone.
struct MilestoneDecision {
  double milestone = 0;
  bool stop = false;
  double predicted_final_loss = kNaN;  // Policies that predict.
  double lower = kNaN;                 // Interval on the prediction, if the policy gives one.
  double upper = kNaN;
  double compared_loss = kNaN;  // What it was compared against (leader, cutoff, median).
  double chance_better = kNaN;  // Collapse's paired rule (Decision::chance_better).
  std::string reason;
};

struct TrialOutcome {
  std::string id;
  double stop_fraction = 1.0;  // Where it stopped (1 = ran to the end).
  bool stopped = false;        // By the policy.
  bool diverged = false;
  double true_final_loss = kNaN;   // FinalLoss of the complete curve (inf if diverged).
  double score_final_loss = kNaN;  // Its final on the scoring quantity (score_finals), if set.
  std::string reason;              // Of the stop, if any.
  std::vector<MilestoneDecision> decisions;  // In milestone order, while it was live.
};

struct MilestoneError {
  double milestone = 0;
  double median_abs_rel_error = kNaN;  // |predicted - true| / true over trials predicted here.
  int predictions = 0;
};

struct ReplayResult {
  std::string policy;
  std::string group;
  // Compute spent as a fraction of running every trial to the end, each trial weighted by its
  // training FLOPs up to a constant: params x tokens = params x total_steps x batch_tokens (each
  // factor 1 where unknown). Tokens, not steps: in a batch-size sweep of one token budget every
  // trial costs the same, though the smallest batch takes the most steps.
  double compute_fraction = 0;
  // Chosen, best and regret are on the scoring quantity when ReplayOptions::score_finals is
  // set, else on the true final loss.
  std::string chosen_id;  // Best final among the trials that ran to the end.
  double chosen_final_loss = kNaN;
  std::string best_id;  // Best final over the whole sweep.
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
