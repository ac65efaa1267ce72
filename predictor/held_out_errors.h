// The error model (reference.h) measured from held-out predictions: each reference curve's
// final loss predicted from its own prefix by a reference it did not help build (a fold of the
// form's cross-validation, or the mean of the other proxy runs), at several prefix fractions.
// Pairs of curves of one comparison group give the error of a predicted difference, the quantity
// a stopping decision rests on.
#ifndef AUGUR_PREDICTOR_HELD_OUT_ERRORS_H_
#define AUGUR_PREDICTOR_HELD_OUT_ERRORS_H_

#include <cstddef>
#include <vector>

#include "predictor/curve.h"
#include "predictor/reference.h"

namespace augur::predictor {

struct HeldOutPrediction {
  double fraction = 0;  // Where the prefix ended.
  size_t curve = 0;     // Index of the curve (pairs are two curves at one fraction).
  size_t group = 0;     // Its comparison group (ComparisonGroups).
  double predicted = kNaN;
  double truth = kNaN;
};

// The comparison group of each curve, numbered in order of first appearance: curves with the same
// non-empty `group` share one; otherwise curves with the same parameters, planned steps and batch
// (one model trained for one length: the trials of an LR, weight-decay or schedule sweep).
std::vector<size_t> ComparisonGroups(const std::vector<const Curve*>& curves);

// rel_rmse at each of `fractions` with at least one prediction, rel_diff_rmse at each with at
// least ErrorModel::kMinDiffPairs same-group pairs (both floored at 1e-4). Empty when there is no
// prediction at all.
ErrorModel ErrorModelFrom(const std::vector<HeldOutPrediction>& predictions,
                          const std::vector<double>& fractions);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_HELD_OUT_ERRORS_H_
