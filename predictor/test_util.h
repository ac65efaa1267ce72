// Helpers shared by the predictor tests.
#ifndef AUGUR_PREDICTOR_TEST_UTIL_H_
#define AUGUR_PREDICTOR_TEST_UTIL_H_

#include <memory>
#include <string>

#include "predictor/curve.h"
#include "predictor/model.h"
#include "predictor/normalized_form.h"
#include "predictor/reference_source.h"
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

// A fitted-model reference source whose one pooled calibration is `constants` (with a small
// error model): policies on FormCurve groups of those constants align exactly.
inline std::shared_ptr<const ReferenceSource> ModelReferences(const FormConstants& constants) {
  PredictorModel m;
  Calibration cal;
  cal.schedule_key = kPooledKey;
  cal.constants = constants;
  cal.error = ErrorModel{{0.1, 0.3}, {0.002, 0.001}, {}, {}, 0, {}};
  m.calibrations.push_back(cal);
  return std::make_shared<ModelReferenceSource>(m);
}

}  // namespace augur::predictor::testing

#endif  // AUGUR_PREDICTOR_TEST_UTIL_H_
