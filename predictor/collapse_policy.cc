// The collapse policy (METHOD.md §4): rank by predicted final loss and its interval.
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
    s.entry = {0,
               pred->final_loss,
               pred->lower,
               pred->upper,
               CurrentLoss(prefix, m, c_.current_loss_window),
               pred->final_loss * (1 - noise),
               pred->final_loss * (1 + noise)};
    return s;
  }

  std::vector<Decision> DecideSummarized(const SummarizedGroup& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    std::vector<PoolEntry> pool;
    for (size_t i = 0; i < group.trials.size(); ++i) {
      const SummarizedTrial& t = group.trials[i];
      if (InPool(group, handled, i)) {
        pool.push_back(t.summary.entry);
        pool.back().trial = i;
      } else if (t.state != TrialState::kDiverged && !handled[i] && t.summary.reached &&
                 !t.summary.note.empty()) {
        AppendUnranked(t, "no prediction", out);
      }
    }
    const bool last = !c_.milestones.empty() &&
                      m >= *std::max_element(c_.milestones.begin(), c_.milestones.end()) - 1e-9;
    const int keep = last ? 1 : static_cast<int>(std::ceil(c_.keep_fraction * pool.size() - 1e-9));
    std::vector<Decision> ranked =
        RankCut(group, std::move(pool), keep, c_.use_interval, "predicted final loss", true);
    out.insert(out.end(), ranked.begin(), ranked.end());
    return out;
  }

 private:
  PolicyConfig c_;
};

}  // namespace

std::unique_ptr<StoppingPolicy> MakeCollapsePolicy(const PolicyConfig& config) {
  return std::make_unique<CollapsePolicy>(config);
}

}  // namespace augur::predictor
