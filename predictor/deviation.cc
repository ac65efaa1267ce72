#include "predictor/deviation.h"

#include <cmath>
#include <map>

namespace augur::predictor {
namespace {

struct Moments {
  double sum = 0, sum2 = 0;
  int n = 0;
  void Add(double v) {
    sum += v;
    sum2 += v * v;
    ++n;
  }
  double Mean() const { return sum / n; }
  double Std() const {  // Sample standard deviation.
    if (n < 2) return kNaN;
    const double m = Mean();
    return std::sqrt(std::max(0.0, (sum2 - n * m * m) / (n - 1)));
  }
};

}  // namespace

std::vector<ResidualPoint> ResidualCurve(const std::vector<CurvePoint>& points,
                                         const Reference& reference, double final_loss) {
  std::vector<ResidualPoint> out;
  out.reserve(points.size());
  for (const CurvePoint& p : points) {
    out.push_back({p.fraction, p.loss / final_loss - reference.Normalized(p.fraction)});
  }
  return out;
}

absl::StatusOr<CollapseQuality> MeasureCollapse(const std::vector<Curve>& curves,
                                                const std::vector<double>& grid, double l0,
                                                double smooth_window_fraction) {
  std::vector<const Curve*> usable;
  for (const Curve& c : curves) {
    if (c.complete && c.points.size() >= 3 && FirstNonFinite(c.points) < 0) usable.push_back(&c);
  }
  if (usable.size() < 2) {
    return absl::InvalidArgumentError("collapse quality needs at least two complete finite curves");
  }
  CollapseQuality q;
  q.fractions = grid;
  std::vector<Moments> all(grid.size());
  std::map<double, std::vector<Moments>> by_size;  // params -> moments of L - L0 per grid x.
  for (const Curve* c : usable) {
    const std::vector<double> v =
        Resample(Smooth(c->points, smooth_window_fraction, SmoothUnit::kFraction), grid);
    const double final_loss = FinalLoss(c->points);
    auto& size = by_size[c->controls.params];
    size.resize(grid.size());
    for (size_t j = 0; j < grid.size(); ++j) {
      if (!std::isfinite(v[j])) continue;
      all[j].Add(v[j] / final_loss);
      size[j].Add(v[j] - l0);
    }
  }
  q.supercollapse = true;
  bool any_late = false;
  for (size_t j = 0; j < grid.size(); ++j) {
    q.delta.push_back(all[j].n >= 2 ? all[j].Std() / all[j].Mean() : kNaN);
    double s = 0;
    int k = 0;
    for (const auto& [params, m] : by_size) {
      if (m[j].n >= 2) {
        s += m[j].Std() / m[j].Mean();
        ++k;
      }
    }
    q.sigma.push_back(k > 0 ? s / k : kNaN);
    if (grid[j] >= 0.5 && std::isfinite(q.sigma[j]) && std::isfinite(q.delta[j])) {
      any_late = true;
      if (!(q.delta[j] < q.sigma[j])) q.supercollapse = false;
    }
  }
  if (!any_late) q.supercollapse = false;
  return q;
}

double FirstDeviation(const std::vector<ResidualPoint>& residuals, const CollapseQuality& quality,
                      double k) {
  std::vector<std::pair<double, double>> sigma;
  for (size_t j = 0; j < quality.fractions.size(); ++j) {
    if (std::isfinite(quality.sigma[j])) sigma.push_back({quality.fractions[j], quality.sigma[j]});
  }
  if (sigma.empty()) return kNaN;
  auto sigma_at = [&](double x) {
    if (x <= sigma.front().first) return sigma.front().second;
    for (size_t i = 1; i < sigma.size(); ++i) {
      if (x <= sigma[i].first) {
        const double t = (x - sigma[i - 1].first) / (sigma[i].first - sigma[i - 1].first);
        return sigma[i - 1].second + t * (sigma[i].second - sigma[i - 1].second);
      }
    }
    return sigma.back().second;
  };
  for (const ResidualPoint& r : residuals) {
    if (std::abs(r.residual) > k * sigma_at(r.fraction)) return r.fraction;
  }
  return kNaN;
}

}  // namespace augur::predictor
