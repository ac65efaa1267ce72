// Glue between the store's trials and predictor/'s stopping policies: groups a sweep's trials
// by their curve controls (METHOD.md §4 step 1), builds the policy a sweep's spec asks for with
// its reference (a fitted model file, or the sweep's own completed reference runs), and turns
// the policy's decisions into augur.v1 Decisions ready to store. Stateless between calls, like
// the policies: everything is rebuilt from the store, so a restarted scheduler decides the same.
#ifndef AUGUR_SCHEDULER_POLICY_RUNNER_H_
#define AUGUR_SCHEDULER_POLICY_RUNNER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "augur/v1/sweep.pb.h"
#include "predictor/policy.h"

namespace augur {

// The collapse-group key of a trial: schedule shape and warmup, tau and TPP rounded to three
// significant digits. Trials of one sweep with equal keys are ranked against each other.
std::string CollapseGroupKey(const v1::CurveControls& controls);

// Converts the proto controls and points to the predictor's types.
predictor::CurveControls ToPredictorControls(const v1::CurveControls& c);
std::vector<predictor::CurvePoint> ToPredictorPoints(const std::vector<v1::LossPoint>& points);
predictor::TrialState ToPredictorState(v1::TrialState state);

// The policy configuration a spec asks for (without references).
absl::StatusOr<predictor::PolicyConfig> PolicyConfigFor(const v1::StoppingPolicy& policy);

// Every fraction at which the policy should be consulted (user milestones plus policy rungs),
// ascending, without duplicates. Empty for POLICY_KIND_NONE.
std::vector<double> DecisionFractions(const v1::StoppingPolicy& policy);

// One trial with its curve, as the runner needs it: the predictor's compact points (the
// scheduler keeps curves in memory in this form, so a decision converts nothing).
struct TrialCurve {
  std::shared_ptr<const v1::Trial> trial;     // Shared with the scheduler's memory; not null.
  std::vector<predictor::CurvePoint> points;  // Ascending steps.
};

// Decides for the non-reference trials of `group` (consumed: their points move into the
// policy's views); returns decisions only for the trials in `only` when it is given (all sharing
// one CollapseGroupKey) at `milestone_fraction`. `references` are the sweep's reference trials of
// the same group (only complete ones are used). For COLLAPSE, the reference is the model at
// `policy.model_path` if set, else the empirical mean of complete references; with neither, every
// running trial gets CONTINUE with the reason "waiting for reference runs". `now_unix_ms` stamps
// the decisions.
absl::StatusOr<std::vector<v1::Decision>> DecideGroup(const v1::StoppingPolicy& policy,
                                                      std::vector<TrialCurve> group,
                                                      const std::vector<TrialCurve>& references,
                                                      double milestone_fraction,
                                                      int64_t now_unix_ms,
                                                      const std::set<std::string>* only = nullptr);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_POLICY_RUNNER_H_
