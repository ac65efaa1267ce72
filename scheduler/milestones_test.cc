#include "scheduler/milestones.h"

#include <vector>

#include "gtest/gtest.h"

namespace augur {
namespace {

const std::vector<double> kMilestones = {0.1, 0.3};

TEST(MilestonesTest, ALeaseRunsUntilTheFirstMilestoneNotReached) {
  EXPECT_DOUBLE_EQ(RunUntilFraction(kMilestones, 0), 0.1);
  EXPECT_DOUBLE_EQ(RunUntilFraction(kMilestones, 0.09), 0.1);
  EXPECT_DOUBLE_EQ(RunUntilFraction(kMilestones, 0.096), 0.3);  // Within the tolerance.
  EXPECT_DOUBLE_EQ(RunUntilFraction(kMilestones, 0.1), 0.3);
  EXPECT_DOUBLE_EQ(RunUntilFraction(kMilestones, 0.3), 0);  // Past the last: to the end.
  EXPECT_DOUBLE_EQ(RunUntilFraction({}, 0), 0);
}

TEST(MilestonesTest, AWaitingTrialWaitsAtTheLastMilestoneItReached) {
  EXPECT_DOUBLE_EQ(WaitingAt(kMilestones, 0.01), 0);
  EXPECT_DOUBLE_EQ(WaitingAt(kMilestones, 0.1), 0.1);
  EXPECT_DOUBLE_EQ(WaitingAt(kMilestones, 0.31), 0.3);
}

TEST(MilestonesTest, TrialsShortOfTheMilestoneHoldTheGroupUntilTheyEnd) {
  MilestoneView t;
  t.progress = 0.05;
  // Paused ones too: a pause is temporary (a worker drain, an interrupted `augur run`).
  for (v1::TrialState s : {v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_RUNNING,
                           v1::TRIAL_STATE_WAITING, v1::TRIAL_STATE_PAUSED}) {
    t.state = s;
    EXPECT_TRUE(HoldsMilestone(t, 0.1)) << v1::TrialState_Name(s);
  }
  // Trials that ended drop out.
  for (v1::TrialState s :
       {v1::TRIAL_STATE_FAILED, v1::TRIAL_STATE_STOPPED, v1::TRIAL_STATE_CANCELLED,
        v1::TRIAL_STATE_DIVERGED, v1::TRIAL_STATE_COMPLETED}) {
    t.state = s;
    EXPECT_FALSE(HoldsMilestone(t, 0.1)) << v1::TrialState_Name(s);
  }
  t.state = v1::TRIAL_STATE_PENDING;
  t.is_reference = true;  // References are never decided.
  EXPECT_FALSE(HoldsMilestone(t, 0.1));
  t.is_reference = false;
  t.decided_at_m = true;  // Decided there before (found so after a restart).
  EXPECT_FALSE(HoldsMilestone(t, 0.1));
}

TEST(MilestonesTest, ARunningTrialHoldsTheMilestoneItIsToStopAtUntilItWaits) {
  MilestoneView t;
  t.state = v1::TRIAL_STATE_RUNNING;
  t.progress = 0.1;
  t.run_until = 0.1;
  EXPECT_TRUE(HoldsMilestone(t, 0.1));  // Its WAITING row is on its way.
  t.state = v1::TRIAL_STATE_WAITING;
  EXPECT_FALSE(HoldsMilestone(t, 0.1));
  EXPECT_TRUE(HoldsMilestone(t, 0.3));
  // A lease that runs on past m (its trial lost its lease at m before waiting there).
  t.state = v1::TRIAL_STATE_RUNNING;
  t.run_until = 0.3;
  EXPECT_FALSE(HoldsMilestone(t, 0.1));
  t.state = v1::TRIAL_STATE_PENDING;  // Lost its lease at m: its points at m are in.
  EXPECT_FALSE(HoldsMilestone(t, 0.1));
}

}  // namespace
}  // namespace augur
