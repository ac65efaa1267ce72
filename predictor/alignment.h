// Alignment of a partial curve with a reference normalized curve (METHOD.md §4 step 3): the
// divisor L(T) that best maps the observed losses onto l(t/T) is the predicted final loss.
//
// Window: the points with fraction in [start, x_end], where x_end is the last observed
// fraction and start = max(min_window_start, min(warmup_fraction, x_end - min_window_width)).
// That is: right after warmup when the prefix goes far enough beyond it (METHOD.md §6: a
// window starting soon after warmup beat one dropping half the prefix); otherwise the last
// `min_window_width` of the prefix, which at x = 0.1 with a 10% warmup is [0.07, 0.10]. When
// that holds fewer than `min_points` points (sparse logs), start moves back to the
// min_points-th last point, but not before min_window_start.
//
// Interval (nominal `level`, two-sided): relative half-width h = z * sqrt(s_noise^2 +
// s_model^2) where s_noise is the standard error of the divisor from the alignment residuals,
// inflated for lag-1 autocorrelation ((1 + rho) / (1 - rho)), and s_model = reference.
// ModelRelError(x_end), the held-out error of the reference measured at calibration time and
// widened for the number of curves it was measured on (ErrorModel::ScaleAt); the interval is
// [P / (1 + h), P / (1 - h)] (unbounded above when h >= 1), or P (1 -+ h) when the reference
// has no error model. At the default
// level 0.9, when the reference measured the 90% quantile of its held-out errors (ErrorModel::
// rel_q90), the interval is instead the hull of P (1 -+ t * s_noise) and [P / (1 + q90),
// P / (1 - q90)] (a held-out error is relative to the true final): held-out errors have heavy
// tails, and they already include the references' own alignment noise.
// Pure functions; thread-safe.
#ifndef AUGUR_PREDICTOR_ALIGNMENT_H_
#define AUGUR_PREDICTOR_ALIGNMENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"
#include "predictor/reference.h"

namespace augur::predictor {

struct AlignOptions {
  double min_window_start = 0.05;  // Fraction; never align on points before this.
  double min_window_width = 0.03;  // Fraction.
  int min_points = 3;
  double level = 0.9;  // Nominal coverage of the interval.
};

struct Prediction {
  double final_loss = kNaN;  // Predicted L(T).
  double lower = kNaN;       // Interval on L(T).
  double upper = kNaN;
  double rel_noise_se = 0;     // Relative standard error from the residuals.
  double rel_model_error = 0;  // From the reference's error model.
  // The reference's held-out error of a predicted difference between two trials of one group
  // (ErrorModel::DiffAt at the prefix's end), and whether it was measured or is the fallback.
  double rel_diff_model_error = 0;
  bool diff_error_measured = false;
  std::string error_family;     // Reference::ErrorFamily().
  double noise_half_width = 0;  // Relative half-width of the noise-only interval.
  double window_start = 0;      // Fractions actually used.
  double window_end = 0;
  int points = 0;
};

// Aligns `prefix` (sorted, finite losses) with `reference`. FAILED_PRECONDITION when the
// window holds fewer than `min_points` points; INVALID_ARGUMENT on non-finite or
// non-positive losses.
absl::StatusOr<Prediction> AlignAndPredict(const std::vector<CurvePoint>& prefix,
                                           const Reference& reference, double warmup_fraction,
                                           const AlignOptions& options = {});

// The earliest fraction at which a prefix of `points` (ascending) can be aligned: that of its
// min_points-th point at or after min_window_start (the window reaches back that far for sparse
// logs); NaN when the curve has fewer such points. A curve logged every 6% of training cannot be
// predicted at 10%, however good the reference.
double EarliestAlignment(const std::vector<CurvePoint>& points, const AlignOptions& options = {});

// The two-sided standard normal quantile for a central `level` (e.g. 0.9 -> 1.645).
double NormalQuantileTwoSided(double level);

// Student's t quantile with `nu` degrees of freedom at the level whose normal quantile is `z`,
// by the Cornish-Fisher expansion (within 2% of the exact value from nu = 3; below, too small).
double StudentQuantile(double z, double nu);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_ALIGNMENT_H_
