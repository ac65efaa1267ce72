// How well the predictor's claimed error of a predicted difference matches the real one: for
// every pair of trials of a sweep, the predicted difference of final losses at a prefix, its
// real error, and whether the 90% interval the paired rule uses (z x sqrt(DiffAt^2 + both
// trials' noise^2)) covers the true difference.
#ifndef AUGUR_BENCH_PREDICTOR_PAIRED_ERRORS_H_
#define AUGUR_BENCH_PREDICTOR_PAIRED_ERRORS_H_

#include <vector>

#include "predictor/curve.h"
#include "predictor/reference_source.h"

namespace augur::bench {

struct PairedStats {
  std::vector<double> real;     // |error of the predicted difference| / mean final, per pair.
  std::vector<double> claimed;  // The standard error the rule used, per pair.
  int covered = 0;              // Pairs whose true difference lies in the 90% interval.
  int measured = 0;             // Pairs whose reference had a measured paired error.
  void Add(const std::vector<predictor::Curve>& sweep, const predictor::ReferenceSource& refs,
           double x);
  // "median |err| 0.31%, claimed 0.42%, 90% coverage 93% (120 pairs, 120 measured)".
  std::string Summary() const;
};

}  // namespace augur::bench

#endif  // AUGUR_BENCH_PREDICTOR_PAIRED_ERRORS_H_
