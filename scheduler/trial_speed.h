// How fast a trial trains, from the wall times its worker stamps on its points. Pure.
#ifndef AUGUR_SCHEDULER_TRIAL_SPEED_H_
#define AUGUR_SCHEDULER_TRIAL_SPEED_H_

#include <cstdint>
#include <vector>

#include "augur/v1/common.pb.h"

namespace augur {

// Points over which a running trial's speed is measured (its most recent ones).
inline constexpr int64_t kSpeedWindowSteps = 100;

// A step between two consecutive points longer than ten typical ones (their median) and than
// this is a wait, not training: a synchronous milestone, a pause, a restart.
inline constexpr int64_t kSpeedGapFloorMs = 2000;

// Tokens per second over the consecutive `points` (ascending by step) that carry a wall time,
// leaving out the waits between them; 0 when fewer than two carry one or no training time
// passed (points written before workers stamped wall times have none). Counting a wait as
// training made every trial look slow after each milestone (an ETA of an hour for minutes).
double TokensPerSecond(const std::vector<v1::LossPoint>& points);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_TRIAL_SPEED_H_
