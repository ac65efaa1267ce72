// The median stopping rule (Golovin et al., Vizier; Ray Tune's MedianStoppingRule): stop a
// trial whose best (smoothed) loss so far is worse than the median of the other trials'
// running mean loss up to the same fraction. Needs min_samples other trials at the milestone.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "predictor/policy.h"

namespace augur::predictor {
namespace {

class MedianPolicy : public StoppingPolicy {
 public:
  explicit MedianPolicy(PolicyConfig c) : c_(std::move(c)) {}
  std::string Name() const override { return "median"; }

  std::vector<Decision> Decide(const GroupView& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    const size_t n = group.trials.size();
    std::vector<double> running_mean(n, kNaN), best(n, kNaN);
    for (size_t i = 0; i < n; ++i) {
      const TrialView& t = group.trials[i];
      if (t.state == TrialState::kDiverged || !Reached(t, m)) continue;
      const std::vector<CurvePoint> prefix = PrefixTo(t.points, m);
      if (prefix.empty() || FirstNonFinite(prefix) >= 0) continue;
      double sum = 0;
      for (const CurvePoint& p : prefix) sum += p.loss;
      running_mean[i] = sum / prefix.size();
      double b = prefix.front().loss;
      for (const CurvePoint& p : Smooth(prefix, c_.current_loss_window, SmoothUnit::kFraction)) {
        b = std::min(b, p.loss);
      }
      best[i] = b;
    }
    for (size_t i = 0; i < n; ++i) {
      const TrialView& t = group.trials[i];
      if (handled[i] || t.state != TrialState::kRunning) continue;
      Decision d;
      d.trial_id = t.id;
      d.current_loss = best[i];
      std::vector<double> others;
      for (size_t j = 0; j < n; ++j) {
        if (j != i && std::isfinite(running_mean[j])) others.push_back(running_mean[j]);
      }
      if (m < c_.median_grace_fraction || !std::isfinite(best[i]) ||
          static_cast<int>(others.size()) < c_.median_min_samples) {
        d.reason = absl::StrFormat("median rule: %d other trials at %.3g, need %d",
                                   static_cast<int>(others.size()), m, c_.median_min_samples);
        out.push_back(d);
        continue;
      }
      std::sort(others.begin(), others.end());
      const size_t h = others.size() / 2;
      const double median = others.size() % 2 == 1 ? others[h] : 0.5 * (others[h - 1] + others[h]);
      d.compared_loss = median;
      if (best[i] > median) {
        d.action = Action::kStop;
        d.reason = absl::StrFormat("best loss %.4f worse than the median running mean %.4f",
                                   best[i], median);
      } else {
        d.reason =
            absl::StrFormat("best loss %.4f within the median running mean %.4f", best[i], median);
      }
      out.push_back(d);
    }
    return out;
  }

 private:
  PolicyConfig c_;
};

}  // namespace

std::unique_ptr<StoppingPolicy> MakeMedianPolicy(const PolicyConfig& config) {
  return std::make_unique<MedianPolicy>(config);
}

}  // namespace augur::predictor
