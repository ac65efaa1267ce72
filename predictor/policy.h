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
  // The paired rule: the chance that the trial ends better than the leader by more than the
  // tolerance (NaN for the leader and for other rules).
  double chance_better = kNaN;
};

// A comparison value for one pool member.
struct PoolEntry {
  // A value with no interval (current losses, extrapolations): bounds and rank bounds = value.
  static PoolEntry Point(double value, double current) {
    PoolEntry e;
    e.value = e.lower = e.upper = e.rank_lower = e.rank_upper = value;
    e.current = current;
    return e;
  }
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
  // The paired rule (collapse): the relative standard error of this trial's prediction from its
  // own alignment residuals (independent between trials), and the held-out relative error of a
  // predicted difference between two trials of one group at this milestone (ErrorModel::DiffAt).
  double rel_noise_se = kNaN;
  double rel_diff_error = kNaN;
  // For pairs whose references are of different families (no shared error to cancel): the
  // held-out relative error of the final loss itself, and the family (Reference::ErrorFamily).
  double rel_model_error = kNaN;
  std::string error_family;
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
  // Whether a summary's comparison value (TrialSummary::entry.value) is a predicted final loss
  // (collapse, extrapolation) rather than a loss observed so far (ASHA, median, top-k).
  virtual bool PredictsFinalLoss() const { return false; }
  // Both stages on a whole view.
  std::vector<Decision> Decide(const GroupView& group, double milestone_fraction) const;
  // Fractions at which the policy wants to be called in addition to the user's milestones
  // (ASHA's rungs); empty for the others.
  virtual std::vector<double> ExtraDecisionFractions() const { return {}; }
};

struct PolicyConfig {
  std::string name = "collapse";  // collapse, asha, median, topk, extrapolation, none.
  // The last milestone is where collapse commits (keep_top). 15%: in every benchmark source
  // the pick at 15% was the one at 20% (and better than at 30%), and it bounds a four-trial
  // family's compute at (1 + 3 x 0.15) / 4 = 36% when the risk rule stops nothing earlier
  // (docs/method.md, "Decision rule").
  std::vector<double> milestones = {0.1, 0.15};
  // How collapse turns predictions into decisions (extrapolation always ranks):
  // - kPaired (default; docs/method.md, "Decision rule"): at each milestone the leader is the
  //   trial with the lowest predicted final loss, and a trial is stopped when the chance that
  //   its final loss ends below the leader's by more than `tolerance` (relative) is below
  //   `risk`, the error of the predicted difference being the held-out paired error of the
  //   references plus both trials' alignment noise (PairedCut).
  // - kRank: keep ceil(keep_fraction x pool) by predicted final loss at each milestone but the
  //   last (`use_interval: false` in a spec, `--no-interval` in augur-predict).
  // - kDisjointIntervals: the rule before the paired one, kept for comparison in benchmarks:
  //   kRank's cut, but a trial beyond it is kept while its noise interval reaches the leader's
  //   prediction, and any trial whose noise interval lies above the leader's is stopped.
  enum class Rule { kPaired, kRank, kDisjointIntervals };
  Rule rule = Rule::kPaired;
  double tolerance = 0.001;
  double risk = 0.05;
  double keep_fraction = 1.0 / 3.0;
  // Collapse, extrapolation, top-k: at most this many trials continue past the last milestone
  // (top-k: past its one decision), the best predicted (or current) first. Collapse's paired
  // rule applies it within each error family (trials predicted from one reference).
  int keep_top = 1;
  std::shared_ptr<const ReferenceSource> references;  // Collapse: required.
  AlignOptions align;
  // ASHA / successive halving (defaults as Ray Tune's ASHAScheduler: grace_period 1 and
  // reduction_factor 4 over max_t = 100, i.e. rungs at 1%, 4%, 16%, 64% of training).
  double asha_reduction_factor = 4.0;
  double asha_grace_fraction = 0.01;
  // Median stopping rule (Ray Tune's MedianStoppingRule: min_samples_required 3).
  int median_min_samples = 3;
  double median_grace_fraction = 0.0;
  // Top-k by current loss at one fixed fraction (k is keep_top).
  double topk_fraction = 0.2;
  // Window (fraction of training) of the trailing mean used as "current loss".
  double current_loss_window = 0.01;
};

// The rules every policy configuration obeys (a known name, milestones in (0, 1], keep_top >= 1,
// tolerance and risk in range, ASHA and top-k parameters): INVALID_ARGUMENT naming the first one
// broken. References are not checked here.
absl::Status CheckPolicyConfig(const PolicyConfig& config);

// CheckPolicyConfig, then the policy. INVALID_ARGUMENT also for collapse without references.
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

// A CONTINUE decision for pool member `e` of trial `t`, compared with `leader`: its current and
// compared losses, and (if `predicts`) its predicted final loss and interval.
Decision RankedDecision(const SummarizedTrial& t, const PoolEntry& e, const PoolEntry& leader,
                        bool predicts);

// Decisions for wanted running trials that diverged or have not reached m; fills `handled`
// (true for every running trial that diverged or has not reached m, wanted or not).
std::vector<Decision> PreliminaryDecisions(const SummarizedGroup& group, double m,
                                           std::vector<bool>& handled);

// The decisions of a policy that ranks the trials which reached m by a predicted final loss
// (collapse, extrapolation): PreliminaryDecisions; CONTINUE ("<unranked>, continuing: <note>")
// for a wanted running trial at m without a value; and RankCut over the others, keeping
// ceil(keep_fraction x pool), or config.keep_top at the last of config.milestones, by `rule`
// (see PolicyConfig::Rule).
std::vector<Decision> RankPredictions(const SummarizedGroup& group, double m,
                                      const PolicyConfig& config, PolicyConfig::Rule rule,
                                      const std::string& what, const std::string& unranked);

// The paired rule over a pool of predictions (see PolicyConfig): one decision per wanted
// RUNNING trial of the pool. At the last milestone, trials ranked beyond config.keep_top within
// their reference's error family are stopped as well.
std::vector<Decision> PairedCut(const SummarizedGroup& group, std::vector<PoolEntry> pool,
                                bool last_milestone, const PolicyConfig& config);

std::unique_ptr<StoppingPolicy> MakeCollapsePolicy(const PolicyConfig& config);
std::unique_ptr<StoppingPolicy> MakeAshaPolicy(const PolicyConfig& config);
std::unique_ptr<StoppingPolicy> MakeMedianPolicy(const PolicyConfig& config);
std::unique_ptr<StoppingPolicy> MakeTopKPolicy(const PolicyConfig& config);
std::unique_ptr<StoppingPolicy> MakeExtrapolationPolicy(const PolicyConfig& config);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_POLICY_H_
