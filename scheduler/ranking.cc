#include "scheduler/ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "scheduler/store.h"

namespace augur {
namespace {

// 0 contenders, 1 ended early, 2 references.
int Tier(const v1::Trial& t) {
  if (t.is_reference()) return 2;
  if (IsTerminal(t.state()) && t.state() != v1::TRIAL_STATE_COMPLETED) return 1;
  return 0;
}

}  // namespace

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

std::vector<v1::RankingRow> RankTrials(std::vector<v1::Trial> trials) {
  std::stable_sort(trials.begin(), trials.end(), [](const v1::Trial& a, const v1::Trial& b) {
    return std::make_tuple(Tier(a), RankingLoss(a)) < std::make_tuple(Tier(b), RankingLoss(b));
  });
  std::vector<v1::RankingRow> rows;
  rows.reserve(trials.size());
  for (size_t i = 0; i < trials.size(); ++i) {
    v1::RankingRow row;
    row.set_rank(static_cast<int32_t>(i + 1));
    *row.mutable_trial() = std::move(trials[i]);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace augur
