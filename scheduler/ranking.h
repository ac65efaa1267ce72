// The order in which a sweep's trials are shown and compared: contenders (pending, running,
// paused, completed) by their best estimate of final loss — the final loss of a completed
// trial, else the latest collapse prediction, else the current loss — then stopped, diverged,
// failed and cancelled trials by the same key, then the reference runs. Pure.
#ifndef AUGUR_SCHEDULER_RANKING_H_
#define AUGUR_SCHEDULER_RANKING_H_

#include "augur/v1/sweep.pb.h"

namespace augur {

// The key a trial is ranked by (lower is better); +infinity when nothing is known yet.
double RankingLoss(const v1::Trial& trial);
// The trial's group in the ranking: 0 contenders, 1 ended early, 2 reference runs. The full
// order is (RankTier, RankingLoss, planning order); the store keeps both keys in indexed
// columns so that a page of the ranking is read without ranking the whole sweep.
int RankTier(const v1::Trial& trial);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_RANKING_H_
