// Stopping policies behind one interface (DESIGN.md: pure, decisions as values).
//
// A policy gets a view of one group of trials (what the scheduler's store holds: each
// trial's controls and points so far) and a milestone fraction, and returns one Decision per
// RUNNING trial. Policies keep no state between calls: everything is reconstructed from the
// view, so they survive a scheduler restart, and the same view gives the same decisions.
//
// A decision has two stages, and a caller may run them apart:
// - Summarize(trial, m) reads one trial's points: whether it reached m, whether it diverged,
//   and its comparison value at m (a predicted final loss, a current loss, a running mean).
//   It is the expensive stage (an alignment fit for collapse) and depends on that trial
//   alone, on the points up to m only (ASHA: up to its rung, which is at or before m).
// - DecideSummarized(group, m) compares the summaries of the group: a sort and a cut.
// Decide(view, m) runs both. A caller deciding the same group again and again as trials
// arrive (the scheduler) keeps the summaries of trials whose points up to m can no longer
// change and recomputes only the new ones, so a round costs O(new trials), not O(group).
//
// Shared rules:
// - A non-finite loss anywhere in a running trial's points ends it: STOP, diverged = true,
//   under every policy (including "none"). Diverged trials are left out of comparisons.
// - A trial has reached fraction m when its last point is within max(0.005, 1.5 x its median
//   point spacing) of m. Values at m are computed from the points at or before m only, so a
//   trial that ran further (or completed) is compared on the same footing.
// - A running trial that has not reached the milestone gets CONTINUE ("not at milestone").
// - The comparison pool at m holds every non-diverged trial that reached m, whatever its
//   state now (stopped and complete trials included): the pool does not depend on the order
//   in which the scheduler saw trials arrive.
// Thread safety: Summarize, DecideSummarized and Decide are const and may be called
// concurrently.
#ifndef AUGUR_PREDICTOR_POLICY_H_
#define AUGUR_PREDICTOR_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/alignment.h"
#include "predictor/curve.h"
#include "predictor/reference_source.h"

namespace augur::predictor {

enum class TrialState { kRunning, kComplete, kStopped, kDiverged };

struct TrialView {
  std::string id;
  CurveControls controls;
  std::vector<CurvePoint> points;  // Sorted by step; fraction = step / total_steps.
  TrialState state = TrialState::kRunning;
};

struct GroupView {
  std::string group_id;
  std::vector<TrialView> trials;
};

enum class Action { kContinue, kStop };

struct Decision {
  std::string trial_id;
  Action action = Action::kContinue;
  bool diverged = false;               // Stopped because of a non-finite loss.
  std::string reason;                  // One line, for users and the store.
  double predicted_final_loss = kNaN;  // Policies that predict (collapse, extrapolation).
  double lower = kNaN;                 // Interval on the prediction, when the policy has one.
  double upper = kNaN;
  double current_loss = kNaN;   // The trial's smoothed loss at the milestone.
  double compared_loss = kNaN;  // What it was compared against (leader, cutoff, median).
};

// A comparison value for one pool member.
struct PoolEntry {
  size_t trial = 0;  // Index into the group's trials.
  double value = kNaN;
  double lower = kNaN;  // Reported interval.
  double upper = kNaN;
  double current = kNaN;
  // Interval used to compare with the leader. Collapse uses the noise part only: the
  // reference's model error is largely shared by every trial of a group (same reference
  // family, same schedule), so it shifts all predictions together and does not change ranks.
  double rank_lower = kNaN;
  double rank_upper = kNaN;
};

// What a policy reads of one trial at one milestone (see the header comment).
struct TrialSummary {
  bool reached = false;        // Reached(trial, m).
  double progress = 0;         // Progress(points).
  int64_t diverged_step = -1;  // Step of the first non-finite loss in the points, or -1.
  bool pooled = false;         // `entry` holds the trial's comparison value.
  PoolEntry entry;             // entry.trial is set by DecideSummarized.
  double best = kNaN;          // Median rule: the best smoothed loss up to m.
  std::string note;            // Why a trial that reached m has no comparison value.
};

struct SummarizedTrial {
  std::string id;
  TrialState state = TrialState::kRunning;
  TrialSummary summary;
  // Whether the caller wants this trial's decision; an unwanted trial still counts in the
  // comparisons (the scheduler asks only for the trials new at a milestone).
  bool wanted = true;
};

struct SummarizedGroup {
  std::string group_id;
  std::vector<SummarizedTrial> trials;
};

class StoppingPolicy {
 public:
  virtual ~StoppingPolicy() = default;
  virtual std::string Name() const = 0;
  // The per-trial stage. The base version fills reached, progress and diverged_step.
  virtual TrialSummary Summarize(const TrialView& trial, double milestone_fraction) const;
  // The group stage: one decision per wanted RUNNING trial.
  virtual std::vector<Decision> DecideSummarized(const SummarizedGroup& group,
                                                 double milestone_fraction) const = 0;
  // Whether only trials that reached the milestone have a comparison value. When true (all but
  // ASHA and top-k, which compare at a rung or fraction at or before m), the summary of a trial
  // short of m is the base one, and a caller may skip the per-policy stage for it.
  virtual bool RanksOnlyTrialsAtMilestone() const { return true; }
  // Both stages on a whole view.
  std::vector<Decision> Decide(const GroupView& group, double milestone_fraction) const;
  // Fractions at which the policy wants to be called in addition to the user's milestones
  // (ASHA's rungs); empty for the others.
  virtual std::vector<double> ExtraDecisionFractions() const { return {}; }
};

struct PolicyConfig {
  std::string name = "collapse";  // collapse, asha, median, topk, extrapolation, none.
  // Collapse and extrapolation: at each milestone keep ceil(keep_fraction x pool); at the
  // last milestone keep the leader only (plus, for collapse, trials whose interval reaches
  // the leader's prediction).
  std::vector<double> milestones = {0.1, 0.2, 0.3};
  double keep_fraction = 1.0 / 3.0;
  bool use_interval = true;                           // Collapse only.
  std::shared_ptr<const ReferenceSource> references;  // Collapse: required.
  AlignOptions align;
  // ASHA / successive halving (defaults as Ray Tune's ASHAScheduler: grace_period 1 and
  // reduction_factor 4 over max_t = 100, i.e. rungs at 1%, 4%, 16%, 64% of training).
  double asha_reduction_factor = 4.0;
  double asha_grace_fraction = 0.01;
  // Median stopping rule (Ray Tune's MedianStoppingRule: min_samples_required 3).
  int median_min_samples = 3;
  double median_grace_fraction = 0.0;
  // Top-k by current loss at one fixed fraction.
  int topk_k = 1;
  double topk_fraction = 0.2;
  // Window (fraction of training) of the trailing mean used as "current loss".
  double current_loss_window = 0.01;
};

// INVALID_ARGUMENT for an unknown name or a bad parameter (e.g. collapse without references).
absl::StatusOr<std::unique_ptr<StoppingPolicy>> MakePolicy(const PolicyConfig& config);

// The names MakePolicy accepts, in display order.
std::vector<std::string> PolicyNames();

// ---- Building blocks shared by the policies (exposed for tests). ----

// Whether the trial's points reach fraction m (see the header comment).
bool Reached(const std::vector<CurvePoint>& points, double m);
inline bool Reached(const TrialView& trial, double m) { return Reached(trial.points, m); }

// Turns a ranked pool into decisions for the running trials in it (lowest value best).
// keep_count: how many to keep by rank; with use_interval, a trial beyond the cut is kept
// while its rank_lower reaches the leader's value, and any trial whose rank_lower is above
// the leader's rank_upper is stopped.
// `what` names the value in reasons; `predicts` says whether the value is a predicted final
// loss (copied into Decision::predicted_final_loss and the interval) or a current loss.
std::vector<Decision> RankCut(const SummarizedGroup& group, std::vector<PoolEntry> pool,
                              int keep_count, bool use_interval, const std::string& what,
                              bool predicts);

// Decisions for wanted running trials that diverged or have not reached m; fills `handled`
// (true for every running trial that diverged or has not reached m, wanted or not).
std::vector<Decision> PreliminaryDecisions(const SummarizedGroup& group, double m,
                                           std::vector<bool>& handled);

// The decisions of a policy that ranks the trials which reached m by a predicted final loss
// (collapse, extrapolation): PreliminaryDecisions; CONTINUE ("<unranked>, continuing: <note>")
// for a wanted running trial at m without a value; and RankCut over the others, keeping
// ceil(keep_fraction x pool), or the leader only at the last of config.milestones.
std::vector<Decision> RankPredictions(const SummarizedGroup& group, double m,
                                      const PolicyConfig& config, bool use_interval,
                                      const std::string& what, const std::string& unranked);

std::unique_ptr<StoppingPolicy> MakeCollapsePolicy(const PolicyConfig& config);
std::unique_ptr<StoppingPolicy> MakeAshaPolicy(const PolicyConfig& config);
std::unique_ptr<StoppingPolicy> MakeMedianPolicy(const PolicyConfig& config);
std::unique_ptr<StoppingPolicy> MakeTopKPolicy(const PolicyConfig& config);
std::unique_ptr<StoppingPolicy> MakeExtrapolationPolicy(const PolicyConfig& config);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_POLICY_H_
