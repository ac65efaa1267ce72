#include "predictor/held_out_errors.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>

namespace augur::predictor {

std::vector<size_t> ComparisonGroups(const std::vector<const Curve*>& curves) {
  using Key = std::tuple<std::string, double, int64_t, double>;
  std::map<Key, size_t> ids;
  std::vector<size_t> out;
  out.reserve(curves.size());
  for (const Curve* c : curves) {
    const CurveControls& k = c->controls;
    const Key key = c->group.empty() ? Key{"", k.params, k.total_steps, k.batch_tokens}
                                     : Key{c->group, 0, 0, 0};
    out.push_back(ids.try_emplace(key, ids.size()).first->second);
  }
  return out;
}

ErrorModel ErrorModelFrom(const std::vector<HeldOutPrediction>& predictions,
                          const std::vector<double>& fractions) {
  ErrorModel e;
  int fewest_pairs = -1;
  bool quantiles = true;
  for (double x : fractions) {
    std::vector<const HeldOutPrediction*> at;
    for (const HeldOutPrediction& p : predictions) {
      if (p.fraction == x && std::isfinite(p.predicted) && p.truth > 0) at.push_back(&p);
    }
    if (at.empty()) continue;
    double ss = 0;
    std::vector<double> abs_errors;
    for (const HeldOutPrediction* p : at) {
      const double r = (p->predicted - p->truth) / p->truth;
      ss += r * r;
      abs_errors.push_back(std::abs(r));
    }
    e.fractions.push_back(x);
    e.held_out.push_back(static_cast<int>(at.size()));
    e.rel_rmse.push_back(std::max(1e-4, std::sqrt(ss / at.size())));
    const size_t n = abs_errors.size();
    quantiles = quantiles && n >= static_cast<size_t>(ErrorModel::kMinQuantileCurves);
    if (quantiles) {
      const size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n + 1)));
      std::nth_element(abs_errors.begin(), abs_errors.begin() + (rank - 1), abs_errors.end());
      e.rel_q90.push_back(std::max(1e-4, abs_errors[rank - 1]));
    }
    double ss_diff = 0;
    int pairs = 0;
    for (size_t a = 0; a < at.size(); ++a) {
      for (size_t b = a + 1; b < at.size(); ++b) {
        if (at[a]->group != at[b]->group || at[a]->curve == at[b]->curve) continue;
        const double err = (at[a]->predicted - at[b]->predicted) - (at[a]->truth - at[b]->truth);
        const double r = err / (0.5 * (at[a]->truth + at[b]->truth));
        ss_diff += r * r;
        ++pairs;
      }
    }
    if (pairs < ErrorModel::kMinDiffPairs) continue;
    e.diff_fractions.push_back(x);
    e.rel_diff_rmse.push_back(std::max(1e-4, std::sqrt(ss_diff / pairs)));
    fewest_pairs = fewest_pairs < 0 ? pairs : std::min(fewest_pairs, pairs);
  }
  e.diff_pairs = std::max(0, fewest_pairs);
  if (!quantiles || e.rel_q90.size() != e.fractions.size()) e.rel_q90.clear();
  return e;
}

}  // namespace augur::predictor
