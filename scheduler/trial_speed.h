// How fast a trial trains, from the wall times its worker stamps on its points. Pure.
#ifndef AUGUR_SCHEDULER_TRIAL_SPEED_H_
#define AUGUR_SCHEDULER_TRIAL_SPEED_H_

#include <cstdint>
#include <vector>

#include "augur/v1/common.pb.h"

namespace augur {

// Points over which a running trial's speed is measured (its most recent ones).
inline constexpr int64_t kSpeedWindowSteps = 100;

// Tokens per second between the first and the last of `points` (ascending by step) that carry
// a wall time; 0 when fewer than two do or no time passed between them (points written before
// workers stamped wall times have none).
double TokensPerSecond(const std::vector<v1::LossPoint>& points);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_TRIAL_SPEED_H_
