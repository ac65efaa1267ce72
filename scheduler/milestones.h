// The rules of milestones, in the scheduler's terms: when a trial has reached one, and, in a
// synchronous sweep (StoppingPolicy.asynchronous false), where a trial is to stop and wait and
// when a comparison group is ready to be decided at a milestone. Pure functions of a trial's
// state and progress, so that the curves (who set Lease.run_until_fraction) and the round
// planner (who decides) apply the same rules.
//
// A synchronous sweep runs each trial to its next milestone (Lease.run_until_fraction); there
// it checkpoints and ends WAITING, freeing its slot. Its group (same collapse controls) is
// decided at m once no trial of the group still holds m (HoldsMilestone): every trial has
// reached m, or dropped out. Stragglers: a paused trial holds its group like a pending one
// (pausing is temporary, and a worker drain or an interrupted `augur run` pauses trials: that
// must not change what is decided); to decide a group without a trial, stop it. Failed,
// stopped, diverged and cancelled trials drop out; a completed trial has reached every
// milestone. The decision then sees the whole group at m, whatever order the trials were
// planned or leased in.
#ifndef AUGUR_SCHEDULER_MILESTONES_H_
#define AUGUR_SCHEDULER_MILESTONES_H_

#include <span>

#include "augur/v1/common.pb.h"

namespace augur {

// A trial counts as having reached milestone m once its last point is this close to m (the
// predictor uses the same tolerance to decide who is in the comparison pool).
inline constexpr double kMilestoneTolerance = 0.005;

// Whether a curve whose last point is at `progress` (fraction of training) has reached m.
inline bool ReachedMilestone(double progress, double m) {
  return progress >= m - kMilestoneTolerance;
}

// The end of the points a decision at milestone m reads (fraction <= it): the round planner cuts
// a curve there, and the curves keep an ended trial's points up to it for the last milestone.
inline double MilestoneWindowEnd(double m) { return m + kMilestoneTolerance; }

// The Lease.run_until_fraction of a trial of a synchronous sweep whose curve ends at
// `progress`: the first of `milestones` (ascending) it has not reached; 0 (run to the end)
// past the last one.
double RunUntilFraction(std::span<const double> milestones, double progress);

// The milestone a WAITING trial whose curve ends at `progress` waits at: the last of
// `milestones` it has reached; 0 if none.
double WaitingAt(std::span<const double> milestones, double progress);

// What HoldsMilestone needs to know of a trial of the group.
struct MilestoneView {
  v1::TrialState state = v1::TRIAL_STATE_UNSPECIFIED;
  bool is_reference = false;
  double progress = 0;        // Fraction of training of its last point (0 without points).
  double run_until = 0;       // Of its live lease, when RUNNING.
  bool decided_at_m = false;  // It has a decision at m (stored, or about to be).
};

// Whether the trial keeps its group from being decided at m in a synchronous sweep: a trial
// not ended (PENDING, RUNNING, WAITING or PAUSED), not a reference, undecided at m, that has
// not reached m. A RUNNING trial whose lease runs until m has not reached it until its WAITING row
// arrives (its checkpoint is then committed, and its points at m are all in): deciding it
// earlier would find nothing to release.
bool HoldsMilestone(const MilestoneView& t, double m);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_MILESTONES_H_
