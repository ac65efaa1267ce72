#include "predictor/extrapolation.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace augur::predictor {
namespace {

// Least squares for fixed c; b clamped at 0 (a flat fit) when the data rise.
PowerLawFit FitForExponent(const std::vector<double>& x, const std::vector<double>& y, double c) {
  double s1 = 0, su = 0, suu = 0, sy = 0, suy = 0;
  const double n = static_cast<double>(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double u = std::pow(x[i], -c);
    su += u;
    suu += u * u;
    sy += y[i];
    suy += u * y[i];
    s1 += 1;
  }
  PowerLawFit f;
  f.c = c;
  const double det = s1 * suu - su * su;
  if (std::abs(det) > 1e-300) {
    f.b = (s1 * suy - su * sy) / det;
    f.a = (sy - f.b * su) / n;
  }
  if (!(f.b > 0)) {
    f.b = 0;
    f.a = sy / n;
  }
  double ss = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double r = y[i] - (f.a + f.b * std::pow(x[i], -c));
    ss += r * r;
  }
  f.rmse = std::sqrt(ss / n);
  return f;
}

}  // namespace

double PowerLawFit::At(double x) const { return a + b * std::pow(x, -c); }

absl::StatusOr<PowerLawFit> FitPowerLaw(const std::vector<CurvePoint>& points,
                                        double window_start) {
  std::vector<double> x, y;
  for (const CurvePoint& p : points) {
    if (p.fraction >= window_start && p.fraction > 0 && std::isfinite(p.loss)) {
      x.push_back(p.fraction);
      y.push_back(p.loss);
    }
  }
  if (x.size() < 4) {
    return absl::FailedPreconditionError(
        absl::StrCat("power-law fit needs 4 points after ", window_start, ", have ", x.size()));
  }
  const double lo = std::log(0.01), hi = std::log(4.0);
  PowerLawFit best = FitForExponent(x, y, std::exp(lo));
  int best_k = 0;
  constexpr int kGrid = 40;
  for (int k = 1; k <= kGrid; ++k) {
    PowerLawFit f = FitForExponent(x, y, std::exp(lo + (hi - lo) * k / kGrid));
    if (f.rmse < best.rmse) {
      best = f;
      best_k = k;
    }
  }
  // Golden-section search on log c around the best grid point.
  double a = lo + (hi - lo) * std::max(0, best_k - 1) / kGrid;
  double b = lo + (hi - lo) * std::min(kGrid, best_k + 1) / kGrid;
  const double g = (std::sqrt(5.0) - 1) / 2;
  for (int it = 0; it < 30; ++it) {
    const double c1 = b - g * (b - a), c2 = a + g * (b - a);
    const PowerLawFit f1 = FitForExponent(x, y, std::exp(c1));
    const PowerLawFit f2 = FitForExponent(x, y, std::exp(c2));
    if (f1.rmse < f2.rmse) {
      b = c2;
      if (f1.rmse < best.rmse) best = f1;
    } else {
      a = c1;
      if (f2.rmse < best.rmse) best = f2;
    }
  }
  return best;
}

}  // namespace augur::predictor
