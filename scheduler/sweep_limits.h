// The size guard of SubmitSweep: what one sweep may ask of the scheduler (SweepLimits, set by
// augur-scheduler's --max-trials-per-sweep, --max-points-per-trial and --max-tokens-per-sweep).
// Pure functions; thread-safe.
#ifndef AUGUR_SCHEDULER_SWEEP_LIMITS_H_
#define AUGUR_SCHEDULER_SWEEP_LIMITS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "augur/v1/sweep.pb.h"
#include "scheduler/scheduler_options.h"
#include "scheduler/trial_stream.h"

namespace augur {

// Trials the spec asks for before reference runs (search points x searched sizes x seeds),
// counted without planning them; saturates at INT64_MAX.
int64_t SearchedTrials(const v1::SweepSpec& spec);

// Checked before planning, so that an absurd grid is refused in microseconds instead of being
// planned first. INVALID_ARGUMENT naming the limit and its flag.
absl::Status CheckSpecSize(const v1::SweepSpec& spec, const SweepLimits& limits);

// Checked on the plan's size before any trial is written: the trials' count, the longest
// trial's points (one per step) and the tokens if every trial ran to the end.
// INVALID_ARGUMENT naming the limit and its flag.
absl::Status CheckPlannedSize(const PlannedSize& size, const SweepLimits& limits);
// The same on trials planned already.
absl::Status CheckPlannedSize(const std::vector<v1::Trial>& trials, const SweepLimits& limits);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SWEEP_LIMITS_H_
