#include "predictor/synthetic.h"

#include <cmath>
#include <random>

namespace augur::predictor {

Curve FormCurve(const std::string& id, const FormConstants& constants,
                const CurveControls& controls, double final_loss, const SyntheticOptions& o) {
  Curve c;
  c.id = id;
  c.controls = controls;
  c.complete = true;
  const FormParams p = ParamsFor(constants, controls);
  std::mt19937_64 rng(o.noise_seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  double e = 0;
  const double innovation = std::sqrt(std::max(0.0, 1.0 - o.ar1 * o.ar1));
  const int64_t total = controls.total_steps;
  for (int i = 1; i <= o.points; ++i) {
    CurvePoint pt;
    pt.step = total * i / o.points;
    pt.fraction = static_cast<double>(pt.step) / static_cast<double>(total);
    pt.tokens = controls.batch_tokens * static_cast<double>(pt.step);
    pt.lr = controls.peak_lr * ScheduleFactor(controls.schedule, pt.fraction);
    const double clean = final_loss * FormNormalized(pt.fraction, p, controls.schedule);
    e = o.ar1 * e + innovation * normal(rng);
    pt.loss = clean * (1.0 + o.noise_rel * e);
    c.points.push_back(pt);
  }
  return c;
}

}  // namespace augur::predictor
