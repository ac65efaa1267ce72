// The sweep planner: a pure function from a SweepSpec to the trials to run.
//
// - Search points: GRID, RANDOM or SOBOL (search_points.h). RANDOM and SOBOL draw `trials`
//   points once and use the same points for every size, so that sizes can be compared
//   configuration by configuration.
// - Every point is planned for every searched (not reference_only) size, times every seed.
// - Tau (METHOD.md §1): the hidden-weight LR under muP is eta = peak_lr * base_width / width.
//   With T the trial's steps and D = T * B its training tokens (B = batch tokens), a tau (from
//   the search or from optimizer.tau) gives weight decay lambda = B / (eta * D * tau)
//   = 1 / (eta * tau * T); a weight decay (searched or given) implies tau = 1 / (eta * lambda * T)
//   (0 when lambda is 0: no decay). Steps come from StepsForBudget (TPP over non-embedding
//   parameters, common/model_params.h).
// - Collapse references: with a COLLAPSE policy (or an unspecified one) and no model_path,
//   every collapse group (same schedule and TPP, which are sweep-wide, and tau rounded to 3
//   significant digits) gets one reference run per reference width: the spec's reference_only
//   sizes if it has any, else one derived size of width reference_width_ratio x the smallest
//   searched width (default 0.5), rounded to a multiple of heads and at least 8 * heads, with
//   the smallest size's depth, heads, context, vocabulary, base width and MLP ratio. A reference
//   keeps its group's tau (weight decay re-solved for its own steps and muP LR), uses the
//   group's median peak LR and batch and the first seed, and is planned first.
// - Ids are "<sweep_id>/t000", "<sweep_id>/t001", ... in plan order; every trial is PENDING.
// - Memory: StreamSweep builds each trial as it is handed out (trial_stream.h). Before the
//   first one it walks the searched trials once without building them, for the plan's size
//   (the size guard's input) and each collapse group's median peak LR and batch (kept as
//   counts of each distinct value); it holds the spec, one search point and the reference
//   runs' inputs, never a list of trials.
#ifndef AUGUR_SCHEDULER_PLANNER_H_
#define AUGUR_SCHEDULER_PLANNER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "augur/v1/sweep.pb.h"
#include "scheduler/trial_stream.h"

namespace augur {

// The default of policy.reference_width_ratio: collapse reference runs at half the smallest
// searched width.
inline constexpr double kDefaultReferenceWidthRatio = 0.5;

struct PlannerOptions {
  // Sequences per forward/backward pass for every trial; 0 = the whole batch. SweepSpec has no
  // such field yet, so the caller (scheduler flag or worker memory) supplies it.
  int32_t micro_batch_sequences = 0;
};

// The plan as a stream of trials (sized before the first is built), or INVALID_ARGUMENT
// naming the offending spec field (FAILED_PRECONDITION when no collapse reference fits).
absl::StatusOr<std::unique_ptr<TrialStream>> StreamSweep(const v1::SweepSpec& spec,
                                                         absl::string_view sweep_id,
                                                         const PlannerOptions& options = {});
// Every planned trial at once (StreamSweep drained): for small sweeps and tests, as memory
// grows with the sweep.
absl::StatusOr<std::vector<v1::Trial>> PlanSweep(const v1::SweepSpec& spec,
                                                 absl::string_view sweep_id,
                                                 const PlannerOptions& options = {});

// Learning rate seen by hidden matrices under muP: peak_lr * base_width / width
// (base_width 0 means width).
double HiddenLr(double peak_lr, int32_t base_width, int32_t width);
// lambda = 1 / (eta_hidden * tau * total_steps).
double WeightDecayForTau(double tau, double eta_hidden, int64_t total_steps);
// tau = 1 / (eta_hidden * lambda * total_steps); 0 when weight_decay is 0.
double TauForWeightDecay(double weight_decay, double eta_hidden, int64_t total_steps);
// `value` rounded to 3 significant digits (the collapse-group key of tau).
double RoundSignificant3(double value);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_PLANNER_H_
