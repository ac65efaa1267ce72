#include "predictor/alignment.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "predictor/spikes.h"

namespace augur::predictor {

double NormalQuantileTwoSided(double level) {
  // Invert the normal CDF by bisection on erfc; called rarely and exactly reproducible.
  const double tail = (1.0 - std::clamp(level, 1e-6, 1.0 - 1e-9)) / 2.0;
  double lo = 0, hi = 10;
  for (int i = 0; i < 80; ++i) {
    const double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(mid / std::sqrt(2.0)) > tail) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

double StudentQuantile(double z, double nu) {
  return z + (z * z * z + z) / (4 * nu) +
         (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * nu * nu);
}

double EarliestAlignment(const std::vector<CurvePoint>& points, const AlignOptions& options) {
  const auto first =
      std::lower_bound(points.begin(), points.end(), options.min_window_start - 1e-12,
                       [](const CurvePoint& p, double v) { return p.fraction < v; });
  const auto needed = static_cast<std::ptrdiff_t>(std::max(1, options.min_points));
  if (points.end() - first < needed) return kNaN;
  return (first + (needed - 1))->fraction;
}

absl::StatusOr<Prediction> AlignAndPredict(const std::vector<CurvePoint>& prefix,
                                           const Reference& reference, double warmup_fraction,
                                           const AlignOptions& options) {
  if (prefix.empty()) return absl::FailedPreconditionError("no points to align");
  const double end = prefix.back().fraction;
  double start =
      std::max(options.min_window_start, std::min(warmup_fraction, end - options.min_window_width));
  // Sparse logs (an evaluation every few percent of training): a window that holds fewer than
  // min_points points reaches back to the min_points-th last point, never before
  // min_window_start.
  if (options.min_points > 0 && prefix.size() >= static_cast<size_t>(options.min_points)) {
    const double nth = prefix[prefix.size() - options.min_points].fraction;
    if (nth < start) start = std::max(options.min_window_start, nth);
  }
  // The window's points, isolated spikes replaced by their neighbours' median (spikes.h): a
  // least-squares scale follows one bad batch. Up to three (finite) points before the window give
  // its first points neighbours on both sides.
  const size_t first = static_cast<size_t>(
      std::lower_bound(prefix.begin(), prefix.end(), start - 1e-12,
                       [](const CurvePoint& p, double v) { return p.fraction < v; }) -
      prefix.begin());
  for (size_t i = first; i < prefix.size(); ++i) {
    const CurvePoint& p = prefix[i];
    if (!std::isfinite(p.loss) || p.loss <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("non-finite or non-positive loss ", p.loss, " at step ", p.step));
    }
  }
  size_t context = 0;
  while (context < 3 && context < first && std::isfinite(prefix[first - context - 1].loss)) {
    ++context;
  }
  const std::vector<CurvePoint> clean =
      WithoutSpikes(std::vector<CurvePoint>(prefix.begin() + (first - context), prefix.end()));
  // Sums for 1/L(T) = sum(L_i l_i) / sum(L_i^2) (squared error on the normalized scale).
  double sll = 0, sLl = 0, sLL = 0;
  int n = 0;
  thread_local std::vector<double> L, l;
  L.clear();
  l.clear();
  for (size_t i = context; i < clean.size(); ++i) {
    const CurvePoint& p = clean[i];
    const double r = reference.Normalized(p.fraction);
    L.push_back(p.loss);
    l.push_back(r);
    sll += r * r;
    sLl += p.loss * r;
    sLL += p.loss * p.loss;
    ++n;
  }
  if (n < options.min_points) {
    return absl::FailedPreconditionError(absl::StrCat("alignment window [", start, ", ", end,
                                                      "] holds ", n, " points, need ",
                                                      options.min_points));
  }
  Prediction out;
  out.final_loss = sLL / sLl;
  out.window_start = start;
  out.window_end = end;
  out.points = n;
  // Residuals in loss units and their lag-1 autocorrelation.
  double ss = 0, lag = 0;
  double prev = 0;
  for (int i = 0; i < n; ++i) {
    const double r = L[i] - out.final_loss * l[i];
    ss += r * r;
    if (i > 0) lag += r * prev;
    prev = r;
  }
  double rho = ss > 0 ? lag / ss : 0.0;
  rho += (1.0 + 3.0 * rho) / n;  // Kendall's small-sample bias correction of the estimate.
  rho = std::clamp(rho, 0.0, 0.95);
  const double inflation = std::min((1.0 + rho) / (1.0 - rho), static_cast<double>(n));
  const double sigma2 = n > 1 ? ss / (n - 1) : 0.0;
  const double se = std::sqrt(sigma2 * inflation / sll);
  out.rel_noise_se = se / out.final_loss;
  out.rel_model_error = reference.ModelRelError(end);
  out.rel_diff_model_error = reference.Errors().DiffAt(end);
  out.diff_error_measured = reference.Errors().diff_measured();
  out.error_family = reference.ErrorFamily();
  thread_local double cached_level = -1, cached_z = 0;
  if (options.level != cached_level) {
    cached_level = options.level;
    cached_z = NormalQuantileTwoSided(options.level);
  }
  const double z = cached_z;
  // Student-t for the noise part, with the effective number of independent points
  // (Cornish-Fisher expansion of the t quantile): short autocorrelated windows are common
  // at early milestones.
  const double nu = std::max(1.0, n / inflation - 1.0);
  const double t = StudentQuantile(z, nu);
  const double noise = t * out.rel_noise_se;
  out.noise_half_width = noise;
  // The held-out errors behind rel_q90 already hold the references' own alignment noise, so the
  // measured 90% quantile is not added to this trial's noise in quadrature: the interval is the
  // hull of the two, each a 90% interval on its own. A held-out error is relative to the true
  // final F, |P - F| <= q F, so the final lies in [P / (1 + q), P / (1 - q)]: a prediction's
  // share of the error is not the truth's, and at 10% of training, where predictions run
  // several percent high, P (1 - q) would widen the interval's low side by that bias.
  const double q90 = reference.Errors().Q90At(end);
  if (std::abs(options.level - 0.9) < 1e-12 && std::isfinite(q90)) {
    out.lower = std::min(out.final_loss * (1.0 - noise), out.final_loss / (1.0 + q90));
    out.upper = std::max(
        out.final_loss * (1.0 + noise),
        q90 < 1.0 ? out.final_loss / (1.0 - q90) : std::numeric_limits<double>::infinity());
  } else {
    const double model = z * out.rel_model_error;
    const double half = std::sqrt(noise * noise + model * model);
    if (model > 0) {
      // Held-out errors are relative to the true final, as in the quantile's case above; this
      // also keeps the bounds positive however large the measured error.
      out.lower = out.final_loss / (1.0 + half);
      out.upper =
          half < 1.0 ? out.final_loss / (1.0 - half) : std::numeric_limits<double>::infinity();
    } else {
      out.lower = out.final_loss * (1.0 - half);
      out.upper = out.final_loss * (1.0 + half);
    }
  }
  return out;
}

}  // namespace augur::predictor
