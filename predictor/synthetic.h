// Synthetic curves generated from the normalized form itself, with known truth, for the
// closed-form tests and the benchmark. Deterministic given the seed.
#ifndef AUGUR_PREDICTOR_SYNTHETIC_H_
#define AUGUR_PREDICTOR_SYNTHETIC_H_

#include <cstdint>
#include <string>

#include "predictor/curve.h"
#include "predictor/normalized_form.h"

namespace augur::predictor {

struct SyntheticOptions {
  int points = 1000;        // Evenly spaced in steps, from step total/points to total.
  double noise_rel = 0.0;   // Gaussian noise, relative to the loss at each point.
  double ar1 = 0.0;         // Lag-1 autocorrelation of the noise.
  uint64_t noise_seed = 1;  // Seed of the noise stream (share it for common random numbers).
};

// A curve with L(x) = final_loss * l(x), l from the form with `constants` at `controls`
// (which must have total_steps > 0). Points inside warmup follow the form with FormEta.
Curve FormCurve(const std::string& id, const FormConstants& constants,
                const CurveControls& controls, double final_loss, const SyntheticOptions& options);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_SYNTHETIC_H_
