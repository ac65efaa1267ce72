// A small deterministic Nelder-Mead minimizer (no randomness: same input, same result).
#ifndef AUGUR_PREDICTOR_NELDER_MEAD_H_
#define AUGUR_PREDICTOR_NELDER_MEAD_H_

#include <functional>
#include <vector>

namespace augur::predictor {

struct NelderMeadOptions {
  int max_evaluations = 600;
  double tolerance = 1e-10;  // Stop when the simplex's value spread falls below this.
};

struct NelderMeadResult {
  std::vector<double> x;
  double value = 0;
  int evaluations = 0;
};

// Minimizes f from `start` with an initial simplex of `step` along each axis.
NelderMeadResult NelderMead(const std::function<double(const std::vector<double>&)>& f,
                            std::vector<double> start, const std::vector<double>& step,
                            const NelderMeadOptions& options = {});

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_NELDER_MEAD_H_
