// The functional form for normalized loss curves of METHOD.md §3 ([C] Eq. 4-5):
//
//   lhat(x) = ((1 + e1) / (x + e1))^m + b * (eta(x) + e2)^q,   l(x) = lhat(x) / lhat(1)
//
// with m, e1, e2 fixed and b = b_c * tau^b_e, q = q_c * TPP^q_e. Pure functions.
#ifndef AUGUR_PREDICTOR_NORMALIZED_FORM_H_
#define AUGUR_PREDICTOR_NORMALIZED_FORM_H_

#include "predictor/curve.h"

namespace augur::predictor {

inline constexpr double kFormM = 0.05;
inline constexpr double kFormE1 = 0.001;
inline constexpr double kFormE2 = 0.1;

// The four constants a calibration fits (not published in [C]).
struct FormConstants {
  double b_c = 0.3;
  double b_e = 0.0;
  double q_c = 1.0;
  double q_e = 0.0;
};

// The per-curve parameters the constants give at (tau, TPP).
struct FormParams {
  double b = 0.3;
  double q = 1.0;
};

// b and q for a curve. An unknown (<= 0) tau or TPP is taken as 1, so its exponent drops
// out; unknown constant factors in tau or TPP only rescale b_c or q_c.
FormParams ParamsFor(const FormConstants& k, double tau, double tokens_per_param);
FormParams ParamsFor(const FormConstants& k, const CurveControls& controls);

// eta(x) inside the form (METHOD.md §3): the schedule (common/schedule.h) after warmup, and
// during warmup its value at the end of warmup (1 for the analytic shapes). The form models the
// annealing benefit of a falling LR; during warmup the loss is dominated by fast early progress,
// and a rising eta would make the form predict a *lower* loss there, the wrong direction. See
// docs/method.md.
double FormEta(const ScheduleSettings& schedule, double x);

// Unnormalized lhat at fraction x for a schedule value eta (use FormEta()).
double FormRaw(double x, double eta, const FormParams& p);

// l(x) = lhat(x) / lhat(1) for a curve with `schedule`.
double FormNormalized(double x, const FormParams& p, const ScheduleSettings& schedule);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_NORMALIZED_FORM_H_
