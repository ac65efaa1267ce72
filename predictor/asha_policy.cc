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

  // The value is the current loss at the highest rung at or before m; a trial that reached
  // that rung is counted, even one that has not reached m or has ended.
  bool RanksOnlyTrialsAtMilestone() const override { return false; }

  TrialSummary Summarize(const TrialView& t, double m) const override {
    TrialSummary s = StoppingPolicy::Summarize(t, m);
    const double rung = RungAt(m);
    if (rung < 0 || t.state == TrialState::kDiverged || !Reached(t, rung)) return s;
    const std::vector<CurvePoint> prefix = PrefixTo(t.points, rung);
    if (FirstNonFinite(prefix) >= 0) return s;
    const double v = CurrentLoss(prefix, rung, c_.current_loss_window);
    if (!std::isfinite(v)) return s;
    s.pooled = true;
    s.entry = PoolEntry::Point(v, v);
    return s;
  }

  std::vector<Decision> DecideSummarized(const SummarizedGroup& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    const double rung = RungAt(m);
    auto value = [&](const SummarizedTrial& t) {
      return t.state != TrialState::kDiverged && t.summary.pooled ? t.summary.entry.value : kNaN;
    };
    std::vector<double> recorded;
    for (const SummarizedTrial& t : group.trials) {
      if (std::isfinite(value(t))) recorded.push_back(value(t));
    }
    const double cutoff =
        recorded.empty() ? kNaN : Percentile(recorded, 1.0 / c_.asha_reduction_factor);
    for (size_t i = 0; i < group.trials.size(); ++i) {
      const SummarizedTrial& t = group.trials[i];
      if (handled[i] || !t.wanted || t.state != TrialState::kRunning) continue;
      const double v = value(t);
      Decision d;
      d.trial_id = t.id;
      d.current_loss = v;
      d.compared_loss = cutoff;
      if (rung < 0 || !std::isfinite(v)) {
        d.reason = absl::StrFormat("before the first rung (%.3g)", c_.asha_grace_fraction);
      } else if (v > cutoff) {
        d.action = Action::kStop;
        d.reason =
            absl::StrFormat("loss %.4f at rung %.3g worse than the 1/%g cutoff %.4f of %d", v, rung,
                            c_.asha_reduction_factor, cutoff, static_cast<int>(recorded.size()));
      } else {
        d.reason =
            absl::StrFormat("loss %.4f at rung %.3g within the cutoff %.4f", v, rung, cutoff);
      }
      out.push_back(d);
    }
    return out;
  }

 private:
  // The highest rung at or before m, or -1.
  double RungAt(double m) const {
    double rung = -1;
    for (double r : rungs_) {
      if (r <= m + 1e-9) rung = r;
    }
    return rung;
  }

  PolicyConfig c_;
  std::vector<double> rungs_;
};

}  // namespace

std::unique_ptr<StoppingPolicy> MakeAshaPolicy(const PolicyConfig& config) {
  return std::make_unique<AshaPolicy>(config);
}

}  // namespace augur::predictor
