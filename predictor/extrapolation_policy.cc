// Per-curve extrapolation policy: rank by the power-law prediction of L(1) fitted on each
// trial's own prefix (same window as alignment), with the same cut as the collapse policy but
// no interval.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "predictor/extrapolation.h"
#include "predictor/policy.h"

namespace augur::predictor {
namespace {

class ExtrapolationPolicy : public StoppingPolicy {
 public:
  explicit ExtrapolationPolicy(PolicyConfig c) : c_(std::move(c)) {}
  std::string Name() const override { return "extrapolation"; }

  std::vector<Decision> Decide(const GroupView& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    std::vector<PoolEntry> pool;
    for (size_t i = 0; i < group.trials.size(); ++i) {
      const TrialView& t = group.trials[i];
      if (t.state == TrialState::kDiverged || handled[i] || !Reached(t, m)) continue;
      const std::vector<CurvePoint> prefix = PrefixTo(t.points, m);
      if (prefix.empty() || FirstNonFinite(prefix) >= 0) continue;
      const double end = prefix.back().fraction;
      const double start =
          std::max(c_.align.min_window_start,
                   std::min(t.controls.schedule.warmup_fraction, end - c_.align.min_window_width));
      auto fit = FitPowerLaw(prefix, start);
      if (!fit.ok()) {
        if (t.state == TrialState::kRunning) {
          Decision d;
          d.trial_id = t.id;
          d.reason = absl::StrCat("no extrapolation, continuing: ", fit.status().message());
          out.push_back(d);
        }
        continue;
      }
      const double v = fit->At(1.0);
      pool.push_back({i, v, v, v, CurrentLoss(prefix, m, c_.current_loss_window), v, v});
    }
    const bool last = !c_.milestones.empty() &&
                      m >= *std::max_element(c_.milestones.begin(), c_.milestones.end()) - 1e-9;
    const int keep = last ? 1 : static_cast<int>(std::ceil(c_.keep_fraction * pool.size() - 1e-9));
    std::vector<Decision> ranked =
        RankCut(group, std::move(pool), keep, false, "extrapolated final loss", true);
    out.insert(out.end(), ranked.begin(), ranked.end());
    return out;
  }

 private:
  PolicyConfig c_;
};

}  // namespace

std::unique_ptr<StoppingPolicy> MakeExtrapolationPolicy(const PolicyConfig& config) {
  return std::make_unique<ExtrapolationPolicy>(config);
}

}  // namespace augur::predictor
