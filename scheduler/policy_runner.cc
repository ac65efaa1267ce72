#include "scheduler/policy_runner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/schedule_proto.h"
#include "common/status_macros.h"
#include "predictor/comparison_group.h"
#include "predictor/deviation.h"
#include "predictor/reference_source.h"

namespace augur {
namespace {

predictor::TrialView ToView(const TrialCurve& t) {
  predictor::TrialView v;
  v.id = t.trial->trial_id();
  v.controls = ToPredictorControls(t.trial->controls());
  v.points = t.points;
  v.state = ToPredictorState(t.trial->state());
  return v;
}

bool NeedsReference(const v1::StoppingPolicy& policy) {
  return policy.kind() == v1::POLICY_KIND_COLLAPSE || policy.kind() == v1::POLICY_KIND_UNSPECIFIED;
}

constexpr char kWaitingReason[] = "waiting for reference runs";

}  // namespace

std::string CollapseGroupKey(const v1::CurveControls& c) {
  return predictor::ComparisonGroupKey(ToPredictorControls(c));
}

predictor::CurveControls ToPredictorControls(const v1::CurveControls& c) {
  predictor::CurveControls p;
  p.tokens_per_param = c.tokens_per_param();
  p.tau = c.tau();
  p.schedule = ScheduleFromProto(c.schedule());  // As the trainer runs it.
  p.peak_lr = c.peak_lr();
  p.weight_decay = c.weight_decay();
  p.batch_tokens = static_cast<double>(c.batch_tokens());
  p.params = static_cast<double>(c.params());
  p.seed = static_cast<int64_t>(c.seed());
  p.total_steps = c.total_steps();
  return p;
}

std::vector<predictor::CurvePoint> ToPredictorPoints(const std::vector<v1::LossPoint>& points) {
  std::vector<predictor::CurvePoint> out;
  out.reserve(points.size());
  for (const v1::LossPoint& p : points) {
    out.push_back(
        {p.step(), static_cast<double>(p.tokens()), p.fraction(), p.train_loss(), p.lr()});
  }
  return out;
}

predictor::TrialState ToPredictorState(v1::TrialState state) {
  switch (state) {
    case v1::TRIAL_STATE_COMPLETED:
      return predictor::TrialState::kComplete;
    case v1::TRIAL_STATE_STOPPED:
    case v1::TRIAL_STATE_CANCELLED:
    case v1::TRIAL_STATE_FAILED:
      return predictor::TrialState::kStopped;
    case v1::TRIAL_STATE_DIVERGED:
      return predictor::TrialState::kDiverged;
    default:  // PENDING, RUNNING, PAUSED: still in the race.
      return predictor::TrialState::kRunning;
  }
}

std::vector<double> DecisionFractions(const v1::StoppingPolicy& policy) {
  if (policy.kind() == v1::POLICY_KIND_NONE) return {};
  auto config = PolicyConfigFor(policy);
  std::vector<double> out = config.ok() ? config->milestones : std::vector<double>{};
  if (config.ok()) {
    // Any references will do to ask a policy for its extra fractions.
    config->references =
        std::make_shared<predictor::EmpiricalReferenceSource>(std::vector<predictor::Curve>{});
    auto made = predictor::MakePolicy(*config);
    if (made.ok()) {
      for (double f : (*made)->ExtraDecisionFractions()) out.push_back(f);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end(),
                        [](double a, double b) { return std::abs(a - b) < 1e-9; }),
            out.end());
  return out;
}

std::string PolicyRound::ReferenceKey(const v1::StoppingPolicy& policy,
                                      const std::vector<TrialCurve>& references) {
  if (!policy.model_path().empty()) return absl::StrCat("form:", policy.model_path());
  std::string key;
  for (const TrialCurve& r : references) {
    if (r.trial->state() != v1::TRIAL_STATE_COMPLETED) continue;
    absl::StrAppend(&key, key.empty() ? "empirical:" : ",", r.trial->trial_id());
  }
  return key;
}

absl::StatusOr<PolicyRound> PolicyRound::Prepare(const v1::StoppingPolicy& policy,
                                                 const std::vector<TrialCurve>& references,
                                                 ModelCache* models) {
  PolicyRound round;
  round.spec_ = policy;
  ASSIGN_OR_RETURN(round.config_, PolicyConfigFor(policy));
  round.reference_name_ = ReferenceKey(policy, references);
  if (!policy.model_path().empty()) {
    // A round never opens a user's path: the model was read and embedded at submit
    // (model_file.h). Only a sweep stored before that lacks it.
    if (policy.model_json().empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "policy.model ", policy.model_path(),
          " was not embedded when the sweep was submitted; resubmit it to use the model"));
    }
    ModelCache uncached;
    ModelCache& cache = models ? *models : uncached;
    ASSIGN_OR_RETURN(round.config_.references, cache.FromJson(policy.model_json()));
  } else {
    std::vector<predictor::Curve> curves;
    for (const TrialCurve& r : references) {
      if (r.trial->state() != v1::TRIAL_STATE_COMPLETED) continue;
      predictor::Curve c;
      c.id = r.trial->trial_id();
      c.controls = ToPredictorControls(r.trial->controls());
      c.points = r.points;
      c.complete = true;
      curves.push_back(std::move(c));
    }
    round.config_.references =
        std::make_shared<predictor::EmpiricalReferenceSource>(std::move(curves));
  }
  // Nobody is ranked on a guess: until every reference run has ended (completed or failed),
  // some trials would have no prediction and others would be ranked without them.
  bool references_running = false;
  for (const TrialCurve& r : references) {
    const v1::TrialState s = r.trial->state();
    references_running |=
        s == v1::TRIAL_STATE_PENDING || s == v1::TRIAL_STATE_RUNNING || s == v1::TRIAL_STATE_PAUSED;
  }
  round.waiting_ = NeedsReference(policy) && policy.model_path().empty() &&
                   (round.reference_name_.empty() || references_running);
  if (policy.kind() != v1::POLICY_KIND_NONE && !round.waiting_) {
    ASSIGN_OR_RETURN(auto made, predictor::MakePolicy(round.config_));
    round.policy_ = std::move(made);
  }
  return round;
}

std::optional<predictor::TrialSummary> PolicyRound::QuickSummary(
    const std::vector<predictor::CurvePoint>& points, double m, bool finite) const {
  if (policy_ && !policy_->RanksOnlyTrialsAtMilestone()) return std::nullopt;
  predictor::TrialSummary s;
  s.reached = predictor::Reached(points, m);
  if (s.reached && policy_) return std::nullopt;  // The policy's stage has work to do.
  s.progress = predictor::Progress(points);
  const int bad = finite ? -1 : predictor::FirstNonFinite(points);
  if (bad >= 0) s.diverged_step = points[bad].step;
  return s;
}

predictor::TrialSummary PolicyRound::Summarize(const TrialCurve& t, double m) const {
  if (auto quick = QuickSummary(t.points, m)) return *quick;
  return policy_->Summarize(ToView(t), m);
}

std::vector<v1::Decision> PolicyRound::Decide(
    const predictor::SummarizedGroup& group, double m, int64_t now_unix_ms,
    const std::map<std::string, const TrialCurve*>& points_of) const {
  std::vector<v1::Decision> out;
  if (spec_.kind() == v1::POLICY_KIND_NONE) return out;
  std::vector<predictor::Decision> decisions;
  if (waiting_) {
    // No reference yet: nobody is stopped on a guess. Divergence still ends a trial.
    for (const predictor::SummarizedTrial& t : group.trials) {
      if (!t.wanted || t.state != predictor::TrialState::kRunning) continue;
      predictor::Decision d;
      d.trial_id = t.id;
      if (t.summary.diverged_step >= 0) {
        d.action = predictor::Action::kStop;
        d.diverged = true;
        d.reason = "non-finite loss";
      } else {
        d.reason = kWaitingReason;
      }
      decisions.push_back(std::move(d));
    }
  } else {
    decisions = policy_->DecideSummarized(group, m);
  }
  for (const predictor::Decision& d : decisions) {
    v1::Decision v;
    v.set_trial_id(d.trial_id);
    v.set_action(d.action == predictor::Action::kStop ? v1::DECISION_ACTION_STOP
                                                      : v1::DECISION_ACTION_CONTINUE);
    v.set_policy(spec_.kind() == v1::POLICY_KIND_UNSPECIFIED ? v1::POLICY_KIND_COLLAPSE
                                                             : spec_.kind());
    v.set_milestone_fraction(m);
    // Reasons name other trials (the leader) by id; within a sweep its short id says it all,
    // as everywhere else users see trial ids ("t009", not "s-.../t009").
    const size_t slash = d.trial_id.rfind('/');
    v.set_reason(slash == std::string::npos
                     ? d.reason
                     : absl::StrReplaceAll(d.reason, {{d.trial_id.substr(0, slash + 1), ""}}));
    if (std::isfinite(d.compared_loss)) v.set_compared_loss(d.compared_loss);
    if (std::isfinite(d.predicted_final_loss)) {
      auto it = points_of.find(d.trial_id);
      *v.mutable_prediction() = MakePrediction(m, d.predicted_final_loss, d.lower, d.upper,
                                               it == points_of.end() ? nullptr : it->second);
    }
    v.set_decided_unix_ms(now_unix_ms);
    out.push_back(std::move(v));
  }
  return out;
}

std::optional<v1::Prediction> PolicyRound::Preview(const predictor::TrialSummary& summary,
                                                   const TrialCurve& t, double m) const {
  // No policy while waiting for the reference runs.
  if (!policy_ || !policy_->PredictsFinalLoss() || !summary.pooled ||
      !(std::isfinite(summary.entry.value) && summary.entry.value > 0)) {
    return std::nullopt;
  }
  return MakePrediction(m, summary.entry.value, summary.entry.lower, summary.entry.upper, &t);
}

v1::Prediction PolicyRound::MakePrediction(double m, double final_loss, double lower, double upper,
                                           const TrialCurve* curve) const {
  v1::Prediction p;
  p.set_at_fraction(m);
  p.set_final_loss(final_loss);
  // An interval unbounded above (an error measured at 100% or more) is not stored.
  if (std::isfinite(lower) && std::isfinite(upper)) {
    p.mutable_final_loss_interval()->set_low(lower);
    p.mutable_final_loss_interval()->set_high(upper);
    p.mutable_final_loss_interval()->set_confidence(config_.align.level);
  }
  p.set_reference(reference_name_);
  if (curve != nullptr) {
    if (auto deviation = Deviation(*curve, m, final_loss)) p.set_deviation(*deviation);
  }
  return p;
}

// Deviation from collapse (METHOD.md §5) of a predicted trial: the largest residual
// L(t)/L(T) - l_ref(t/T) of its lightly smoothed curve after warmup, in normalized-loss
// units. The seed noise floor is unknown inside a sweep, so deviation_in_sigmas stays 0.
std::optional<double> PolicyRound::Deviation(const TrialCurve& t, double m,
                                             double predicted_final_loss) const {
  if (!config_.references) return std::nullopt;
  const predictor::CurveControls controls = ToPredictorControls(t.trial->controls());
  auto ref = config_.references->ReferenceFor(controls);
  if (!ref.ok()) return std::nullopt;
  const auto smooth =
      predictor::Smooth(predictor::PrefixTo(t.points, m), 0.01, predictor::SmoothUnit::kFraction);
  const double after_warmup = std::max(0.05, controls.schedule.warmup_fraction);
  double worst = 0;
  for (const auto& r : predictor::ResidualCurve(smooth, **ref, predicted_final_loss)) {
    if (r.fraction >= after_warmup && std::isfinite(r.residual)) {
      worst = std::max(worst, std::abs(r.residual));
    }
  }
  return worst;
}

}  // namespace augur
