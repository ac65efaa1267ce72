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
  bool PredictsFinalLoss() const override { return true; }

  TrialSummary Summarize(const TrialView& t, double m) const override {
    TrialSummary s = StoppingPolicy::Summarize(t, m);
    if (t.state == TrialState::kDiverged || !s.reached) return s;
    const std::vector<CurvePoint> prefix = PrefixTo(t.points, m);
    if (prefix.empty() || FirstNonFinite(prefix) >= 0) return s;
    const double end = prefix.back().fraction;
    const double start =
        std::max(c_.align.min_window_start,
                 std::min(t.controls.schedule.warmup_fraction, end - c_.align.min_window_width));
    auto fit = FitPowerLaw(prefix, start);
    if (!fit.ok()) {
      s.note = std::string(fit.status().message());
      return s;
    }
    const double v = fit->At(1.0);
    s.pooled = true;
    s.entry = PoolEntry::Point(v, CurrentLoss(prefix, m, c_.current_loss_window));
    return s;
  }

  std::vector<Decision> DecideSummarized(const SummarizedGroup& group, double m) const override {
    return RankPredictions(group, m, c_, PolicyConfig::Rule::kRank, "extrapolated final loss",
                           "no extrapolation");
  }

 private:
  PolicyConfig c_;
};

}  // namespace

std::unique_ptr<StoppingPolicy> MakeExtrapolationPolicy(const PolicyConfig& config) {
  return std::make_unique<ExtrapolationPolicy>(config);
}

}  // namespace augur::predictor
