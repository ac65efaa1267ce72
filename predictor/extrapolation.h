// Per-curve parametric extrapolation, the classic baseline: fit L(x) = a + b x^-c on the
// observed prefix and read off L(1) = a + b. Pure functions.
#ifndef AUGUR_PREDICTOR_EXTRAPOLATION_H_
#define AUGUR_PREDICTOR_EXTRAPOLATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"

namespace augur::predictor {

struct PowerLawFit {
  double a = 0;  // Asymptote.
  double b = 0;  // Scale, >= 0.
  double c = 0;  // Exponent, in [0.01, 4].
  double rmse = 0;

  double At(double x) const;
};

// Least squares on the points with fraction >= window_start: for each exponent c on a log grid
// (then golden-section refinement) a and b are linear. FAILED_PRECONDITION with fewer than 4
// points.
absl::StatusOr<PowerLawFit> FitPowerLaw(const std::vector<CurvePoint>& points, double window_start);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_EXTRAPOLATION_H_
