#include "scheduler/ranking.h"

#include <cmath>
#include <limits>

#include "scheduler/store.h"

namespace augur {

int RankTier(const v1::Trial& t) {
  if (t.is_reference()) return 2;
  if (IsTerminal(t.state()) && t.state() != v1::TRIAL_STATE_COMPLETED) return 1;
  return 0;
}

double RankingLoss(const v1::Trial& t) {
  double v = std::numeric_limits<double>::infinity();
  if (t.state() == v1::TRIAL_STATE_COMPLETED && t.has_last_point()) {
    v = t.last_point().train_loss();
  } else if (t.has_prediction() && t.prediction().final_loss() > 0) {
    v = t.prediction().final_loss();
  } else if (t.has_last_point() && t.last_point().step() > 0) {
    v = t.last_point().train_loss();
  }
  // A diverged trial's NaN must not break the ordering.
  return std::isfinite(v) ? v : std::numeric_limits<double>::infinity();
}

}  // namespace augur
