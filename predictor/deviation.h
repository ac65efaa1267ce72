// Deviation from collapse (METHOD.md §2 and §5): the residual of a curve against a
// reference, and the collapse quality Delta(x) of a family against the seed noise floor
// sigma(x). Pure functions.
#ifndef AUGUR_PREDICTOR_DEVIATION_H_
#define AUGUR_PREDICTOR_DEVIATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"
#include "predictor/reference.h"

namespace augur::predictor {

struct ResidualPoint {
  double fraction = 0;
  double residual = 0;  // L(x T) / L(T) - l_ref(x), in normalized-loss units.
};

// The residual at every point of `points`, given an estimate of L(T) (e.g. AlignAndPredict
// on the 25-50% window, METHOD.md §5).
std::vector<ResidualPoint> ResidualCurve(const std::vector<CurvePoint>& points,
                                         const Reference& reference, double final_loss);

struct CollapseQuality {
  std::vector<double> fractions;
  // std_{p,w}[l] / mean_{p,w}[l] over all curves (sizes p and seeds w), l = L / L(T).
  std::vector<double> delta;
  // std_w[L - L0] / mean_w[L - L0] per size with at least two seeds, averaged over sizes;
  // NaN where no size has two seeds.
  std::vector<double> sigma;
  // Delta < sigma at every grid fraction >= 0.5 where sigma is defined ("supercollapse").
  bool supercollapse = false;
};

// Sizes are told apart by controls.params, seeds by controls.seed. Curves are smoothed over
// `smooth_window_fraction` first. INVALID_ARGUMENT with fewer than two complete finite curves.
absl::StatusOr<CollapseQuality> MeasureCollapse(const std::vector<Curve>& curves,
                                                const std::vector<double>& grid, double l0 = 0.0,
                                                double smooth_window_fraction = 0.01);

// The first fraction whose |residual| exceeds k * sigma(x) (sigma interpolated on the
// quality's grid, NaN entries skipped), or NaN if none. METHOD.md §5 published no threshold;
// k = 3 is our choice.
double FirstDeviation(const std::vector<ResidualPoint>& residuals, const CollapseQuality& quality,
                      double k = 3.0);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_DEVIATION_H_
