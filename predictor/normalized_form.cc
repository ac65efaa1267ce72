#include "predictor/normalized_form.h"

#include <algorithm>
#include <cmath>

namespace augur::predictor {

FormParams ParamsFor(const FormConstants& k, double tau, double tokens_per_param) {
  const double t = tau > 0 ? tau : 1.0;
  const double d = tokens_per_param > 0 ? tokens_per_param : 1.0;
  return FormParams{k.b_c * std::pow(t, k.b_e), k.q_c * std::pow(d, k.q_e)};
}

FormParams ParamsFor(const FormConstants& k, const CurveControls& c) {
  return ParamsFor(k, c.tau, c.tokens_per_param);
}

double FormEta(const ScheduleSettings& schedule, double x) {
  return ScheduleFactor(schedule, std::max(x, schedule.warmup_fraction));
}

double FormRaw(double x, double eta, const FormParams& p) {
  return std::pow((1.0 + kFormE1) / (x + kFormE1), kFormM) + p.b * std::pow(eta + kFormE2, p.q);
}

double FormNormalized(double x, const FormParams& p, const ScheduleSettings& schedule) {
  return FormRaw(x, FormEta(schedule, x), p) / FormRaw(1.0, FormEta(schedule, 1.0), p);
}

}  // namespace augur::predictor
