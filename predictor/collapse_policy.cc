// The collapse policy (METHOD.md §4): rank by predicted final loss and decide on predicted
// differences with their calibrated error (PairedCut), or by rank alone without interval.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "predictor/policy.h"

namespace augur::predictor {
namespace {

class CollapsePolicy : public StoppingPolicy {
 public:
  explicit CollapsePolicy(PolicyConfig c) : c_(std::move(c)) {}
  std::string Name() const override { return "collapse"; }
  bool PredictsFinalLoss() const override { return true; }

  TrialSummary Summarize(const TrialView& t, double m) const override {
    TrialSummary s = StoppingPolicy::Summarize(t, m);
    if (t.state == TrialState::kDiverged || !s.reached) return s;
    const std::vector<CurvePoint> prefix = PrefixTo(t.points, m);
    if (FirstNonFinite(prefix) >= 0) return s;
    auto ref = c_.references->ReferenceFor(t.controls);
    if (!ref.ok()) {
      s.note = std::string(ref.status().message());
      return s;
    }
    auto pred = AlignAndPredict(prefix, **ref, t.controls.schedule.warmup_fraction, c_.align);
    if (!pred.ok()) {
      s.note = std::string(pred.status().message());
      return s;
    }
    const double noise = pred->noise_half_width;
    s.pooled = true;
    PoolEntry& e = s.entry;
    e.value = pred->final_loss;
    e.lower = pred->lower;
    e.upper = pred->upper;
    e.current = CurrentLoss(prefix, m, c_.current_loss_window);
    e.rank_lower = pred->final_loss * (1 - noise);
    e.rank_upper = pred->final_loss * (1 + noise);
    e.rel_noise_se = pred->rel_noise_se;
    e.rel_diff_error = pred->rel_diff_model_error;
    e.rel_model_error = pred->rel_model_error;
    e.error_family = pred->error_family;
    return s;
  }

  std::vector<Decision> DecideSummarized(const SummarizedGroup& group, double m) const override {
    return RankPredictions(group, m, c_, c_.rule, "predicted final loss", "no prediction");
  }

 private:
  PolicyConfig c_;
};

}  // namespace

std::unique_ptr<StoppingPolicy> MakeCollapsePolicy(const PolicyConfig& config) {
  return std::make_unique<CollapsePolicy>(config);
}

}  // namespace augur::predictor
