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

  // The value is the current loss at the fixed fraction f (at or before m): a trial that
  // reached f is ranked, even one that ended before m.
  bool RanksOnlyTrialsAtMilestone() const override { return false; }

  TrialSummary Summarize(const TrialView& t, double m) const override {
    TrialSummary s = StoppingPolicy::Summarize(t, m);
    const double f = c_.topk_fraction;
    if (m < f - 1e-9 || t.state == TrialState::kDiverged || !Reached(t, f)) return s;
    const std::vector<CurvePoint> prefix = PrefixTo(t.points, f);
    if (FirstNonFinite(prefix) >= 0) return s;
    const double v = CurrentLoss(prefix, f, c_.current_loss_window);
    s.pooled = true;
    s.entry = PoolEntry::Point(v, v);
    return s;
  }

  std::vector<Decision> DecideSummarized(const SummarizedGroup& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    if (m < c_.topk_fraction - 1e-9) {
      for (size_t i = 0; i < group.trials.size(); ++i) {
        const SummarizedTrial& t = group.trials[i];
        if (handled[i] || !t.wanted || t.state != TrialState::kRunning) continue;
        Decision d;
        d.trial_id = t.id;
        d.reason = absl::StrFormat("top-%d decides at %.3g", c_.keep_top, c_.topk_fraction);
        out.push_back(d);
      }
      return out;
    }
    std::vector<PoolEntry> pool;
    for (size_t i = 0; i < group.trials.size(); ++i) {
      const SummarizedTrial& t = group.trials[i];
      if (t.state == TrialState::kDiverged || handled[i] || !t.summary.pooled) continue;
      pool.push_back(group.trials[i].summary.entry);
      pool.back().trial = i;
    }
    std::vector<Decision> ranked =
        RankCut(group, std::move(pool), c_.keep_top, false, "current loss", false);
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
