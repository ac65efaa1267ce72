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

  // The value is the running mean loss up to m; `best` the best smoothed loss up to m.
  TrialSummary Summarize(const TrialView& t, double m) const override {
    TrialSummary s = StoppingPolicy::Summarize(t, m);
    if (t.state == TrialState::kDiverged || !s.reached) return s;
    // On the prefix up to m, in place.
    const size_t end = PrefixEnd(t.points, m);
    if (end == 0) return s;
    double sum = 0;
    for (size_t k = 0; k < end; ++k) sum += t.points[k].loss;
    if (!std::isfinite(sum)) return s;  // A non-finite loss in the prefix.
    s.pooled = true;
    s.entry.value = sum / static_cast<double>(end);
    s.best = std::min(t.points.front().loss,
                      MinSmoothed(t.points, end, c_.current_loss_window, SmoothUnit::kFraction));
    return s;
  }

  std::vector<Decision> DecideSummarized(const SummarizedGroup& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    const size_t n = group.trials.size();
    std::vector<double> running_mean(n, kNaN), best(n, kNaN);
    for (size_t i = 0; i < n; ++i) {
      const SummarizedTrial& t = group.trials[i];
      if (t.state == TrialState::kDiverged || !t.summary.pooled) continue;
      running_mean[i] = t.summary.entry.value;
      best[i] = t.summary.best;
    }
    // Every finite running mean, sorted once: the median of the others of trial i is read off
    // this array with i's own value left out, so a decision round is O(n log n), not O(n^2).
    std::vector<double> all;
    for (double v : running_mean) {
      if (std::isfinite(v)) all.push_back(v);
    }
    std::sort(all.begin(), all.end());
    for (size_t i = 0; i < n; ++i) {
      const SummarizedTrial& t = group.trials[i];
      if (handled[i] || !t.wanted || t.state != TrialState::kRunning) continue;
      Decision d;
      d.trial_id = t.id;
      d.current_loss = best[i];
      // Position of i's own value in `all` (any one of equal values), or none.
      const bool counted = std::isfinite(running_mean[i]);
      const size_t own =
          counted ? static_cast<size_t>(std::lower_bound(all.begin(), all.end(), running_mean[i]) -
                                        all.begin())
                  : all.size();
      const size_t others = all.size() - (counted ? 1 : 0);
      if (m < c_.median_grace_fraction || !std::isfinite(best[i]) ||
          static_cast<int>(others) < c_.median_min_samples || others == 0) {
        d.reason = absl::StrFormat("median rule: %d other trials at %.3g, need %d",
                                   static_cast<int>(others), m, c_.median_min_samples);
        out.push_back(d);
        continue;
      }
      // The k-th smallest of the others.
      auto other = [&](size_t k) { return all[k < own ? k : k + 1]; };
      const size_t h = others / 2;
      const double median = others % 2 == 1 ? other(h) : 0.5 * (other(h - 1) + other(h));
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
