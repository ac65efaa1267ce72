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

// A sweep's speed from its running trials' speeds (TokensPerSecond; 0 = not measured yet): the
// measured ones, and each unmeasured one at their mean. A trial leased a moment ago has no two
// timed points; counting it at 0 halved the quickstart's speed, and doubled its ETA, each time
// the trials of a milestone were leased anew. 0 when none is measured.
double SweepTokensPerSecond(const std::vector<double>& running_speeds);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_TRIAL_SPEED_H_
