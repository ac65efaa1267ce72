// What a sweep recommends: per model size (the best learning rate per size is the point of a
// multi-size sweep), the completed trial with the lowest final loss, and a note for each
// hyperparameter the spec searches whose best value sits at the edge of the values searched at
// that size (not for one derived from them, such as the weight decay solved from tau).
#ifndef AUGUR_CLI_RECOMMENDATION_H_
#define AUGUR_CLI_RECOMMENDATION_H_

#include <string>
#include <vector>

#include "augur/v1/sweep.pb.h"

namespace augur::cli {

struct Recommendation {
  std::string size;                     // TrialHyperparameters.model_size.
  const v1::Trial* trial = nullptr;     // Points into the GetSweepResponse.
  double final_loss = 0;                // FinalLoss (report.h).
  std::vector<std::string> edge_notes;  // "lr=0.03 is the largest lr searched at w64: ...".
};

// One entry per searched size that has a completed trial, in order of first appearance among
// the ranking's rows.
std::vector<Recommendation> Recommend(const v1::GetSweepResponse& sweep,
                                      const std::vector<v1::TrialCurve>& curves);

}  // namespace augur::cli

#endif  // AUGUR_CLI_RECOMMENDATION_H_
