// Helpers shared by the predictor tests.
#ifndef AUGUR_PREDICTOR_TEST_UTIL_H_
#define AUGUR_PREDICTOR_TEST_UTIL_H_

#include <string>

#include "predictor/curve.h"
#include "predictor/normalized_form.h"
#include "predictor/synthetic.h"

namespace augur::predictor::testing {

// D2Z controls with a 10% warmup at the given tau and TPP.
inline CurveControls D2zControls(double tau, double tpp, int64_t total_steps = 10000) {
  CurveControls c;
  c.schedule.shape = ScheduleShape::kLinearDecay;
  c.schedule.warmup_fraction = 0.1;
  c.tau = tau;
  c.tokens_per_param = tpp;
  c.total_steps = total_steps;
  c.peak_lr = 1e-3;
  c.batch_tokens = 1000;
  c.params = 1e6;
  return c;
}

inline FormConstants TrueConstants() { return FormConstants{0.12, -0.5, 0.8, 0.15}; }

}  // namespace augur::predictor::testing

#endif  // AUGUR_PREDICTOR_TEST_UTIL_H_
