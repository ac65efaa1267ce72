#include "predictor/nelder_mead.h"

#include <algorithm>
#include <numeric>

namespace augur::predictor {

NelderMeadResult NelderMead(const std::function<double(const std::vector<double>&)>& f,
                            std::vector<double> start, const std::vector<double>& step,
                            const NelderMeadOptions& options) {
  const size_t n = start.size();
  NelderMeadResult result;
  if (n == 0) {
    result.x = start;
    result.value = f(start);
    result.evaluations = 1;
    return result;
  }
  std::vector<std::vector<double>> simplex(n + 1, start);
  for (size_t i = 0; i < n; ++i) simplex[i + 1][i] += step[i];
  std::vector<double> values(n + 1);
  int evals = 0;
  auto eval = [&](const std::vector<double>& x) {
    ++evals;
    return f(x);
  };
  for (size_t i = 0; i <= n; ++i) values[i] = eval(simplex[i]);
  std::vector<size_t> order(n + 1);
  auto point = [n](const std::vector<double>& c, const std::vector<double>& w, double t) {
    std::vector<double> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = c[i] + t * (w[i] - c[i]);
    return p;
  };
  while (evals < options.max_evaluations) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return values[a] < values[b]; });
    const size_t best = order.front(), worst = order.back(), second = order[n - 1];
    if (values[worst] - values[best] < options.tolerance) break;
    std::vector<double> centroid(n, 0.0);
    for (size_t k = 0; k < n; ++k) {
      for (size_t i = 0; i < n; ++i) centroid[i] += simplex[order[k]][i] / n;
    }
    const std::vector<double> reflected = point(centroid, simplex[worst], -1.0);
    const double fr = eval(reflected);
    if (fr < values[best]) {
      const std::vector<double> expanded = point(centroid, simplex[worst], -2.0);
      const double fe = eval(expanded);
      if (fe < fr) {
        simplex[worst] = expanded;
        values[worst] = fe;
      } else {
        simplex[worst] = reflected;
        values[worst] = fr;
      }
      continue;
    }
    if (fr < values[second]) {
      simplex[worst] = reflected;
      values[worst] = fr;
      continue;
    }
    const bool outside = fr < values[worst];
    const std::vector<double> contracted =
        point(centroid, outside ? reflected : simplex[worst], 0.5);
    const double fc = eval(contracted);
    if (fc < std::min(fr, values[worst])) {
      simplex[worst] = contracted;
      values[worst] = fc;
      continue;
    }
    // Shrink towards the best vertex.
    for (size_t k = 0; k <= n; ++k) {
      if (k == best) continue;
      simplex[k] = point(simplex[best], simplex[k], 0.5);
      values[k] = eval(simplex[k]);
    }
  }
  const size_t best = std::min_element(values.begin(), values.end()) - values.begin();
  result.x = simplex[best];
  result.value = values[best];
  result.evaluations = evals;
  return result;
}

}  // namespace augur::predictor
