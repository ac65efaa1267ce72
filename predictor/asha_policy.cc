// Asynchronous successive halving (ASHA, as in Ray Tune's ASHAScheduler) on current loss.
//
// Rungs at grace * rf^k (< 1). A trial is judged at the highest rung it has reached that is
// at or before the milestone, against every trial that reached that rung: it stops when its
// loss there is worse than the (1/rf) quantile (Ray's cutoff: numpy percentile, linear
// interpolation). Reconstructed from the view on every call; when trials advance in lockstep
// (as in replay) this is synchronous successive halving.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "predictor/policy.h"

namespace augur::predictor {
namespace {

double Percentile(std::vector<double> v, double q) {  // q in [0, 1], linear interpolation.
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

class AshaPolicy : public StoppingPolicy {
 public:
  explicit AshaPolicy(PolicyConfig c) : c_(std::move(c)) {
    for (double r = c_.asha_grace_fraction; r < 1.0 - 1e-9; r *= c_.asha_reduction_factor) {
      rungs_.push_back(r);
    }
  }
  std::string Name() const override { return "asha"; }
  std::vector<double> ExtraDecisionFractions() const override { return rungs_; }

  std::vector<Decision> Decide(const GroupView& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    double rung = -1;
    for (double r : rungs_) {
      if (r <= m + 1e-9) rung = r;
    }
    std::vector<double> recorded;
    std::vector<double> value(group.trials.size(), kNaN);
    if (rung > 0) {
      for (size_t i = 0; i < group.trials.size(); ++i) {
        const TrialView& t = group.trials[i];
        if (t.state == TrialState::kDiverged || !Reached(t, rung)) continue;
        const std::vector<CurvePoint> prefix = PrefixTo(t.points, rung);
        if (FirstNonFinite(prefix) >= 0) continue;
        value[i] = CurrentLoss(prefix, rung, c_.current_loss_window);
        if (std::isfinite(value[i])) recorded.push_back(value[i]);
      }
    }
    const double cutoff =
        recorded.empty() ? kNaN : Percentile(recorded, 1.0 / c_.asha_reduction_factor);
    for (size_t i = 0; i < group.trials.size(); ++i) {
      const TrialView& t = group.trials[i];
      if (handled[i] || t.state != TrialState::kRunning) continue;
      Decision d;
      d.trial_id = t.id;
      d.current_loss = value[i];
      d.compared_loss = cutoff;
      if (rung < 0 || !std::isfinite(value[i])) {
        d.reason = absl::StrFormat("before the first rung (%.3g)", c_.asha_grace_fraction);
      } else if (value[i] > cutoff) {
        d.action = Action::kStop;
        d.reason = absl::StrFormat("loss %.4f at rung %.3g worse than the 1/%g cutoff %.4f of %d",
                                   value[i], rung, c_.asha_reduction_factor, cutoff,
                                   static_cast<int>(recorded.size()));
      } else {
        d.reason = absl::StrFormat("loss %.4f at rung %.3g within the cutoff %.4f", value[i], rung,
                                   cutoff);
      }
      out.push_back(d);
    }
    return out;
  }

 private:
  PolicyConfig c_;
  std::vector<double> rungs_;
};

}  // namespace

std::unique_ptr<StoppingPolicy> MakeAshaPolicy(const PolicyConfig& config) {
  return std::make_unique<AshaPolicy>(config);
}

}  // namespace augur::predictor
