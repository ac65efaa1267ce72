// Top-k at a fixed fraction: at fraction f keep the k trials with the lowest current loss and
// stop the rest ("pick whoever is best right now", METHOD.md §4).
#include "absl/strings/str_format.h"
#include "predictor/policy.h"

namespace augur::predictor {
namespace {

class TopKPolicy : public StoppingPolicy {
 public:
  explicit TopKPolicy(PolicyConfig c) : c_(std::move(c)) {}
  std::string Name() const override { return "topk"; }
  std::vector<double> ExtraDecisionFractions() const override { return {c_.topk_fraction}; }

  std::vector<Decision> Decide(const GroupView& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    if (m < c_.topk_fraction - 1e-9) {
      for (size_t i = 0; i < group.trials.size(); ++i) {
        if (handled[i] || group.trials[i].state != TrialState::kRunning) continue;
        Decision d;
        d.trial_id = group.trials[i].id;
        d.reason = absl::StrFormat("top-%d decides at %.3g", c_.topk_k, c_.topk_fraction);
        out.push_back(d);
      }
      return out;
    }
    const double f = c_.topk_fraction;
    std::vector<PoolEntry> pool;
    for (size_t i = 0; i < group.trials.size(); ++i) {
      const TrialView& t = group.trials[i];
      if (t.state == TrialState::kDiverged || handled[i] || !Reached(t, f)) continue;
      const std::vector<CurvePoint> prefix = PrefixTo(t.points, f);
      if (FirstNonFinite(prefix) >= 0) continue;
      const double v = CurrentLoss(prefix, f, c_.current_loss_window);
      pool.push_back({i, v, v, v, v, v, v});
    }
    std::vector<Decision> ranked =
        RankCut(group, std::move(pool), c_.topk_k, false, "current loss", false);
    out.insert(out.end(), ranked.begin(), ranked.end());
    return out;
  }

 private:
  PolicyConfig c_;
};

}  // namespace

std::unique_ptr<StoppingPolicy> MakeTopKPolicy(const PolicyConfig& config) {
  return std::make_unique<TopKPolicy>(config);
}

}  // namespace augur::predictor
