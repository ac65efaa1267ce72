// Calibration of the normalized form's four constants on complete reference curves
// (METHOD.md §3): minimize the mean absolute error between l and lhat over x in
// [x_min, x_max], macro-averaged over curves, after smoothing each curve.
//
// Optimizer (deterministic): b and q are fit in log space around the mean log tau and log
// TPP of the references (log b = beta0 + b_e (log tau - mean), same for q), which decouples
// b_c from b_e. A 13 x 13 grid over (b, q) with zero exponents, then Nelder-Mead from the three
// best grid points, each restarted once. An exponent is fixed at 0 when its control does not
// vary across the references (it would be unidentifiable). Same input, same constants.
//
// The held-out error model (ErrorModel) comes from K-fold cross-validation: each fold is
// refit (Nelder-Mead warm-started from the full fit) and its curves' prefixes aligned.
#ifndef AUGUR_PREDICTOR_CALIBRATION_H_
#define AUGUR_PREDICTOR_CALIBRATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"
#include "predictor/normalized_form.h"
#include "predictor/reference.h"

namespace augur::predictor {

struct FitOptions {
  // Start of the fit range. [C] fit over [0.2, 1], but the policy aligns prefixes that end at
  // 10-20% of training on windows from 0.05 (AlignOptions::min_window_start): a form never fit
  // there extrapolates into them. Fitting from 0.05 predicted better at 10% and 20% on all three
  // benchmark sources (synthetic, MultiPowerLaw, this project's runs; docs/method.md).
  double x_min = 0.05;
  double x_max = 1.0;
  int grid_points = 81;                  // Resampling grid over [x_min, x_max].
  double smooth_window_fraction = 0.02;  // Centered moving average, in fraction of training.
  int cv_folds = 5;                      // 0 or 1: error model measured in-sample.
  std::vector<double> error_fractions = {0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7};
};

struct Calibration {
  std::string schedule_key;  // CurveControls::ScheduleKey() of the curves, or "*" when pooled.
  FormConstants constants;
  double mae = 0;   // Macro-averaged MAE of the normalized loss on the fit curves.
  int curves = 0;   // Curves used.
  int dropped = 0;  // Incomplete or diverged curves left out.
  int sizes = 0;    // Known model sizes (params > 0) among the curves used; folds hold out sizes.
  ErrorModel error;
};

// INVALID_ARGUMENT when fewer than one usable (complete, finite, >= 10 points) curve.
absl::StatusOr<Calibration> FitForm(const std::vector<Curve>& refs, const FitOptions& options = {});

// The objective: macro-averaged MAE of FormNormalized against the smoothed, normalized
// curves over [x_min, x_max]. Exposed for tests and the benchmark's naive baseline.
double MacroMae(const FormConstants& k, const std::vector<Curve>& refs,
                const FitOptions& options = {});

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_CALIBRATION_H_
