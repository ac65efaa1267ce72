#include "scheduler/trial_speed.h"

#include <algorithm>

namespace augur {

double TokensPerSecond(const std::vector<v1::LossPoint>& points) {
  // Consecutive timed points: the wall time and tokens of each step between them.
  std::vector<int64_t> step_ms, step_tokens;
  const v1::LossPoint* previous = nullptr;
  for (const v1::LossPoint& p : points) {
    if (p.wall_time_unix_ms() <= 0) continue;
    if (previous != nullptr) {
      step_ms.push_back(p.wall_time_unix_ms() - previous->wall_time_unix_ms());
      step_tokens.push_back(p.tokens() - previous->tokens());
    }
    previous = &p;
  }
  if (step_ms.empty()) return 0;
  std::vector<int64_t> sorted = step_ms;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const int64_t longest_training_step =
      std::max<int64_t>(10 * sorted[sorted.size() / 2], kSpeedGapFloorMs);
  int64_t ms = 0, tokens = 0;
  for (size_t i = 0; i < step_ms.size(); ++i) {
    if (step_ms[i] > longest_training_step) continue;  // A wait, not training.
    ms += step_ms[i];
    tokens += step_tokens[i];
  }
  if (ms <= 0 || tokens <= 0) return 0;
  return static_cast<double>(tokens) * 1000.0 / static_cast<double>(ms);
}

double SweepTokensPerSecond(const std::vector<double>& running_speeds) {
  double sum = 0;
  int measured = 0;
  for (double s : running_speeds) {
    if (s > 0) {
      sum += s;
      ++measured;
    }
  }
  return measured == 0 ? 0 : sum / measured * static_cast<double>(running_speeds.size());
}

}  // namespace augur
