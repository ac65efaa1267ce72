// What a run is decided against: runs of one model size trained for one length (TPP) with one
// schedule shape and warmup are ranked against each other, whatever their learning rate, weight
// decay, tau or batch; the best of them per size is what a sweep looks for (issue 13: rank and
// recommend per model size). `augur run` groups its trials so (scheduler/policy_runner.h), and
// `augur-predict replay` so groups runs that have no `group` column.
#ifndef AUGUR_PREDICTOR_COMPARISON_GROUP_H_
#define AUGUR_PREDICTOR_COMPARISON_GROUP_H_

#include <string>
#include <vector>

#include "predictor/curve.h"

namespace augur::predictor {

// "shape/w<warmup>/n<params>/tpp<TPP>": warmup to the nearest 0.005 of training, parameters to
// three significant digits and TPP to two, so that runs planned alike stay together when a
// warmup is read from a logged `lr` column or a TPP from a rounded step count.
std::string ComparisonGroupKey(const CurveControls& controls);

// Gives each run without a `group` its comparison group's key, when the runs without one span
// several groups; one group stays unnamed (the default). Returns how many groups were named.
int NameComparisonGroups(std::vector<Curve>& curves);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_COMPARISON_GROUP_H_
