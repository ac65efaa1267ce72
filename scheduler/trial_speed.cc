#include "scheduler/trial_speed.h"

#include <algorithm>

namespace augur {

double TokensPerSecond(const std::vector<v1::LossPoint>& points) {
  std::vector<const v1::LossPoint*> timed;
  for (const v1::LossPoint& p : points) {
    if (p.wall_time_unix_ms() > 0) timed.push_back(&p);
  }
  if (timed.size() < 2) return 0;
  std::vector<int64_t> steps;
  for (size_t i = 1; i < timed.size(); ++i) {
    steps.push_back(timed[i]->wall_time_unix_ms() - timed[i - 1]->wall_time_unix_ms());
  }
  std::vector<int64_t> sorted = steps;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const int64_t typical = sorted[sorted.size() / 2];
  int64_t ms = 0, tokens = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i] > std::max<int64_t>(10 * typical, kSpeedGapFloorMs)) continue;  // Not training.
    ms += steps[i];
    tokens += timed[i + 1]->tokens() - timed[i]->tokens();
  }
  if (ms <= 0 || tokens <= 0) return 0;
  return static_cast<double>(tokens) * 1000.0 / static_cast<double>(ms);
}

}  // namespace augur
