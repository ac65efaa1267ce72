// Glue between the store's trials and predictor/'s stopping policies: groups a sweep's trials
// by their curve controls (METHOD.md §4 step 1), builds the policy a sweep's spec asks for with
// its reference (a fitted model file, or the sweep's own completed reference runs), and turns
// the policy's decisions into augur.v1 Decisions ready to store. Everything is rebuilt from the
// store's trials and points, so a restarted scheduler decides the same; what a caller keeps
// between rounds (summaries) is a cache of what would be recomputed.
#ifndef AUGUR_SCHEDULER_POLICY_RUNNER_H_
#define AUGUR_SCHEDULER_POLICY_RUNNER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "augur/v1/sweep.pb.h"
#include "predictor/policy.h"
#include "scheduler/model_cache.h"
#include "scheduler/policy_config.h"

namespace augur {

// The comparison-group key of a trial (predictor/comparison_group.h: schedule shape and warmup,
// non-embedding parameters and TPP). Trials of one sweep with equal keys (one model size trained
// for one length: an LR x tau sweep's trials at that size) are ranked against each other, each
// predicted with the reference of its own controls; a multi-size sweep is ranked per size.
std::string CollapseGroupKey(const v1::CurveControls& controls);

// Converts the proto controls and points to the predictor's types.
predictor::CurveControls ToPredictorControls(const v1::CurveControls& c);
std::vector<predictor::CurvePoint> ToPredictorPoints(const std::vector<v1::LossPoint>& points);
predictor::TrialState ToPredictorState(v1::TrialState state);

// Every fraction at which the policy should be consulted (user milestones plus policy rungs),
// ascending, without duplicates. Empty for POLICY_KIND_NONE.
std::vector<double> DecisionFractions(const v1::StoppingPolicy& policy);

// One trial with its curve, as the runner needs it: the predictor's compact points (the
// scheduler keeps curves in memory in this form, so a decision converts nothing).
struct TrialCurve {
  std::shared_ptr<const v1::Trial> trial;     // Shared with the scheduler's memory; not null.
  std::vector<predictor::CurvePoint> points;  // Ascending steps.
};

// One decision round of one group: the sweep's policy, built with the group's reference. The
// policy's two stages (predictor/policy.h) are apart so that the scheduler can keep each
// trial's summary at a milestone across rounds, together with the reference it was computed
// under (reference_key), and summarize only the trials that are new.
//
// For COLLAPSE the reference is the model at `policy.model_path` if set, else the empirical
// mean of the group's complete reference runs; with neither, the round is waiting: a running
// trial with a non-finite loss is stopped, every other one gets CONTINUE with the reason
// "waiting for reference runs".
class PolicyRound {
 public:
  // `references` are the sweep's reference trials of the group (only complete ones are used).
  // A fitted model (`policy.model_path`) is taken from `models` (read from its file if null).
  static absl::StatusOr<PolicyRound> Prepare(const v1::StoppingPolicy& policy,
                                             const std::vector<TrialCurve>& references,
                                             ModelCache* models = nullptr);
  // What the summaries depend on besides a trial's points: "form:<path>", "empirical:<ids of
  // the complete references>", or "" with no reference. Needs no points.
  static std::string ReferenceKey(const v1::StoppingPolicy& policy,
                                  const std::vector<TrialCurve>& references);

  const std::string& reference_key() const { return reference_name_; }
  bool waiting() const { return waiting_; }

  // The summary of a trial short of m, read off its points without a copy, when that is all
  // the policy needs of such a trial (RanksOnlyTrialsAtMilestone, or waiting); else nullopt.
  // `finite` promises that every loss in `points` is finite (the scheduler's memory curves
  // end before a non-finite loss), which spares a scan.
  std::optional<predictor::TrialSummary> QuickSummary(
      const std::vector<predictor::CurvePoint>& points, double m, bool finite = false) const;
  // The policy's per-trial stage on `t` (its points up to the milestone and a little beyond).
  predictor::TrialSummary Summarize(const TrialCurve& t, double m) const;
  // Decisions for the wanted running trials of `group`, stamped `now_unix_ms`. `points_of`
  // gives the curves of (at least) the wanted trials, for the deviation from collapse stored
  // with a prediction; a trial missing there is stored without it.
  std::vector<v1::Decision> Decide(const predictor::SummarizedGroup& group, double m,
                                   int64_t now_unix_ms,
                                   const std::map<std::string, const TrialCurve*>& points_of) const;
  // The prediction in a trial's summary at m, for a trial of a synchronous sweep waiting there
  // before its group is decided: what its decision would store (the predicted final, its
  // interval, the deviation from collapse of `t`), without a leader or an action. nullopt when
  // the policy does not predict (ASHA, median, top-k: their values are current losses), the
  // round waits for its reference, or the summary holds no prediction.
  std::optional<v1::Prediction> Preview(const predictor::TrialSummary& summary, const TrialCurve& t,
                                        double m) const;

 private:
  v1::Prediction MakePrediction(double m, double final_loss, double lower, double upper,
                                const TrialCurve* curve) const;
  std::optional<double> Deviation(const TrialCurve& t, double m, double predicted_final_loss) const;

  v1::StoppingPolicy spec_;
  predictor::PolicyConfig config_;
  std::shared_ptr<const predictor::StoppingPolicy> policy_;  // Null when waiting.
  std::string reference_name_;
  bool waiting_ = false;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_POLICY_RUNNER_H_
