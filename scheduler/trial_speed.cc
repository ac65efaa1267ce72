#include "scheduler/trial_speed.h"

namespace augur {

double TokensPerSecond(const std::vector<v1::LossPoint>& points) {
  const v1::LossPoint* first = nullptr;
  const v1::LossPoint* last = nullptr;
  for (const v1::LossPoint& p : points) {
    if (p.wall_time_unix_ms() <= 0) continue;
    if (first == nullptr) first = &p;
    last = &p;
  }
  if (first == nullptr || last == first) return 0;
  const int64_t ms = last->wall_time_unix_ms() - first->wall_time_unix_ms();
  const int64_t tokens = last->tokens() - first->tokens();
  if (ms <= 0 || tokens <= 0) return 0;
  return static_cast<double>(tokens) * 1000.0 / static_cast<double>(ms);
}

}  // namespace augur
