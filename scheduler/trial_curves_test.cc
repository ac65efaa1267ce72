// TrialCurves at its boundary: batches arriving under (or not under) the live lease, the
// milestone events they raise, merging, loading from the store, and rows passed on by others.
#include "scheduler/trial_curves.h"

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/memory_store.h"
#include "scheduler/part_test_util.h"
#include "scheduler/policy_runner.h"

namespace augur {
namespace {

using ::testing::ElementsAre;
using testing::Lease;
using testing::StoreSweep;
using Kind = CurveEvent::Kind;

// Steps [from, to] of a run of `per_run` steps, each point half a step short of its step's end
// (so no point lies on the edge of a milestone or of a 1/1000 block); loss 5 - 0.001 * step.
v1::LossPointBatch Batch(const LeaseGrant& g, int from, int to, double per_run = 100) {
  v1::LossPointBatch b;
  b.set_trial_id(g.trial.trial_id());
  b.set_fencing_token(g.lease.fencing_token());
  for (int step = from; step <= to; ++step) {
    v1::LossPoint* p = b.add_points();
    p->set_step(step);
    p->set_fraction((step - 0.5) / per_run);
    p->set_train_loss(5.0 - 0.001 * step);
  }
  return b;
}

class TrialCurvesTest : public ::testing::Test {
 protected:
  // s1: t000 needs 4 slots, t001 none; the trials in `references` are reference runs.
  explicit TrialCurvesTest(std::vector<int> references = {}) {
    StoreSweep(store_, "s1",
               {.trials = 2,
                .gpus = {4, 0},
                .references = std::move(references),
                .kind = v1::POLICY_KIND_MEDIAN,
                .milestones = {0.2, 0.5}});
  }

  // Loads s1, leases its first pending trial and tells the curves, as dispatch does; the events
  // so far (the load's recheck) are dropped.
  LeaseGrant LoadAndLease() {
    curves_.EnsureLoaded("s1");
    const LeaseGrant g = Lease(store_, "w1");
    curves_.Granted(g.trial, g.lease.fencing_token());
    events_.clear();
    return g;
  }
  void Arrive(const v1::LossPointBatch& b) { curves_.TakeArrived(b, clock_.Now()); }
  std::vector<predictor::CurvePoint> Curve(const std::string& trial_id) {
    return testing::InCurves(curves_, trial_id).points;
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  std::vector<CurveEvent> events_;
  TrialCurves curves_{&store_, &clock_, [this](CurveEvent e) { events_.push_back(e); }};
};

// s1's first trial is a reference run (leased before any other).
class TrialCurvesReferenceTest : public TrialCurvesTest {
 protected:
  TrialCurvesReferenceTest() : TrialCurvesTest({0}) {}
};

TEST_F(TrialCurvesTest, ABatchCrossingAMilestoneRaisesOneEventStampedWithItsArrival) {
  const LeaseGrant g = LoadAndLease();
  Arrive(Batch(g, 1, 15));  // Up to 0.145: short of 0.2 - tolerance.
  EXPECT_TRUE(events_.empty());
  clock_.Advance(absl::Seconds(3));
  const absl::Time arrived = clock_.Now();
  clock_.Advance(absl::Seconds(1));  // Taken later than it arrived.
  curves_.TakeArrived(Batch(g, 16, 25), arrived);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, Kind::kMilestone);
  EXPECT_EQ(events_[0].sweep_id, "s1");
  EXPECT_EQ(events_[0].group_key, CollapseGroupKey(g.trial.controls()));
  EXPECT_DOUBLE_EQ(events_[0].fraction, 0.2);
  EXPECT_EQ(events_[0].arrived, arrived);
  EXPECT_EQ(Curve(g.trial.trial_id()).size(), 25u);

  Arrive(Batch(g, 26, 30));  // Further past 0.2.
  Arrive(Batch(g, 12, 30));  // A re-send that crosses 0.2 again.
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(Curve(g.trial.trial_id()).size(), 30u);  // The re-sent points are not doubled.
}

TEST_F(TrialCurvesTest, ABatchUnderAnotherTokenIsNotTaken) {
  LeaseGrant g = LoadAndLease();
  g.lease.set_fencing_token(g.lease.fencing_token() + 1);
  Arrive(Batch(g, 1, 25));
  EXPECT_TRUE(Curve(g.trial.trial_id()).empty());
  EXPECT_TRUE(events_.empty());
}

// The decider's row (from before the trial was leased again) can reach memory after the
// dispatcher's grant: it is stale, and must not turn the new lease's points away.
TEST_F(TrialCurvesTest, ARowFromBeforeANewerLeaseIsIgnored) {
  const LeaseGrant g = LoadAndLease();
  v1::Trial before = g.trial;  // As a row written before this grant: one attempt fewer.
  before.set_state(v1::TRIAL_STATE_PENDING);
  before.set_attempts(g.trial.attempts() - 1);
  curves_.Update(std::span(&before, 1));
  Arrive(Batch(g, 1, 25));
  EXPECT_EQ(Curve(g.trial.trial_id()).size(), 25u);  // Still under the live lease.
  // A row of this attempt is taken: the lease ended, later points are not.
  v1::Trial waiting = g.trial;
  waiting.set_state(v1::TRIAL_STATE_WAITING);
  curves_.Update(std::span(&waiting, 1));
  Arrive(Batch(g, 26, 30));
  EXPECT_EQ(Curve(g.trial.trial_id()).size(), 25u);
}

TEST_F(TrialCurvesTest, ABatchForATrialThatIsNotRunningIsNotTaken) {
  curves_.EnsureLoaded("s1");
  // Leased in the store, but the curves were not told: memory does not hold it (it was
  // unstarted at the load), so its first batch reads it in from the store, lease and all.
  const LeaseGrant g = Lease(store_, "w1");
  Arrive(Batch(g, 1, 25));
  EXPECT_EQ(Curve(g.trial.trial_id()).size(), 25u);
  // Stopped: the store still takes its late points, the curves do not.
  auto stopped = store_.TransitionTrial(g.trial.trial_id(), v1::TRIAL_STATE_RUNNING,
                                        v1::TRIAL_STATE_STOPPED, "stopped");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  curves_.Update(std::span(&*stopped, 1));
  events_.clear();
  Arrive(Batch(g, 26, 60));
  EXPECT_EQ(Curve(g.trial.trial_id()).size(), 25u);
  // Never leased: no token at all (0) is not a lease either.
  LeaseGrant never;
  never.trial.set_trial_id("s1/t001");
  Arrive(Batch(never, 1, 25));
  EXPECT_TRUE(Curve("s1/t001").empty());
  EXPECT_TRUE(events_.empty());
}

TEST_F(TrialCurvesReferenceTest, AReferenceRunsBatchRaisesNoMilestone) {
  const LeaseGrant g = LoadAndLease();
  ASSERT_TRUE(g.trial.is_reference());
  Arrive(Batch(g, 1, 60));                           // Across both milestones.
  EXPECT_EQ(Curve(g.trial.trial_id()).size(), 60u);  // Taken all the same.
  EXPECT_TRUE(events_.empty());
}

TEST_F(TrialCurvesTest, PointsWithinATenthOfAPercentOfTrainingMerge) {
  const LeaseGrant g = LoadAndLease();
  // 10,000 steps a run: steps 1-10 fall in the first 1/1000 of training, 11-20 in the second.
  Arrive(Batch(g, 1, 4, 10000));
  Arrive(Batch(g, 5, 14, 10000));  // Completes the first block and starts the second.
  Arrive(Batch(g, 15, 21, 10000));
  const std::vector<predictor::CurvePoint> curve = Curve(g.trial.trial_id());
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_EQ(curve[0].step, 10);                           // Stamped with the block's latest point.
  EXPECT_NEAR(curve[0].loss, 5.0 - 0.001 * 5.5, 1e-12);   // Mean of steps 1..10.
  EXPECT_NEAR(curve[1].loss, 5.0 - 0.001 * 15.5, 1e-12);  // Mean of steps 11..20.
  EXPECT_EQ(curve[2].step, 21);
  EXPECT_NEAR(curve[2].loss, 5.0 - 0.001 * 21, 1e-12);
}

TEST_F(TrialCurvesTest, AnArrivalForASweepNotInMemoryLoadsItFromTheStore) {
  const LeaseGrant g = Lease(store_, "w1");
  const v1::LossPointBatch stored = Batch(g, 1, 10);
  auto written = store_.AppendPoints({g.trial.trial_id(),
                                      g.lease.fencing_token(),
                                      {stored.points().begin(), stored.points().end()}});
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(curves_.loaded_sweeps(), 0u);

  Arrive(Batch(g, 11, 25));
  EXPECT_EQ(curves_.loaded_sweeps(), 1u);
  EXPECT_EQ(Curve(g.trial.trial_id()).size(), 25u);  // The store's 10, then the batch.
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].kind, Kind::kRecheck);
  EXPECT_EQ(events_[0].sweep_id, "s1");
  EXPECT_EQ(events_[0].group_key, "");  // The whole sweep.
  EXPECT_EQ(events_[1].kind, Kind::kMilestone);
  EXPECT_DOUBLE_EQ(events_[1].fraction, 0.2);
  ASSERT_TRUE(curves_.Policy("s1").has_value());
  EXPECT_THAT(curves_.Policy("s1")->milestones, ElementsAre(0.2, 0.5));
}

TEST_F(TrialCurvesReferenceTest, AReferenceThatCompletesRaisesARecheckOfItsSweep) {
  curves_.EnsureLoaded("s1");
  const LeaseGrant ref = Lease(store_, "w1");
  const LeaseGrant other = Lease(store_, "w1");
  ASSERT_TRUE(ref.trial.is_reference());
  ASSERT_FALSE(other.trial.is_reference());
  events_.clear();
  auto end = [&](const LeaseGrant& g) {
    auto done =
        store_.EndLease(g.trial.trial_id(), g.lease.fencing_token(), v1::TRIAL_STATE_COMPLETED, "");
    EXPECT_TRUE(done.ok()) << done.status();
    return *done;
  };
  const v1::Trial other_done = end(other);
  curves_.Update(std::span(&other_done, 1));
  EXPECT_TRUE(events_.empty());  // Not a reference.
  const v1::Trial ref_done = end(ref);
  curves_.Update(std::span(&ref_done, 1));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, Kind::kRecheck);
  EXPECT_EQ(events_[0].group_key, "");  // Every group: trials match references by controls.
  EXPECT_EQ(testing::InCurves(curves_, ref.trial.trial_id()).trial.state(),
            v1::TRIAL_STATE_COMPLETED);
  curves_.Update(std::span(&ref_done, 1));  // The same row again: nothing new completed.
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(TrialCurvesTest, ForgetEndedDropsOnlySweepsThatStoppedRunning) {
  StoreSweep(store_, "s2", {});
  curves_.EnsureLoaded("s1");
  curves_.EnsureLoaded("s2");
  ASSERT_EQ(curves_.loaded_sweeps(), 2u);
  events_.clear();
  curves_.ForgetEnded();
  EXPECT_EQ(curves_.loaded_sweeps(), 2u);  // Both still running.
  EXPECT_TRUE(events_.empty());

  ASSERT_TRUE(store_.CancelSweep("s1", "test").ok());
  curves_.ForgetEnded();
  EXPECT_EQ(curves_.loaded_sweeps(), 1u);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, Kind::kForget);
  EXPECT_EQ(events_[0].sweep_id, "s1");
  EXPECT_FALSE(curves_.Policy("s1").has_value());
  EXPECT_FALSE(curves_.GpuNeedOf("s1/t000").has_value());
  EXPECT_TRUE(curves_.Policy("s2").has_value());
}

TEST_F(TrialCurvesTest, GpuNeedOfAHeldTrial) {
  EXPECT_FALSE(curves_.GpuNeedOf("s1/t000").has_value());  // Not loaded yet.
  curves_.EnsureLoaded("s1");
  // Unstarted trials are not held (the dispatcher asks the store about those).
  EXPECT_FALSE(curves_.GpuNeedOf("s1/t000").has_value());
  for (int i = 0; i < 2; ++i) {
    const LeaseGrant g = Lease(store_, "w1");
    curves_.Granted(g.trial, g.lease.fencing_token());
  }
  EXPECT_EQ(curves_.GpuNeedOf("s1/t000"), 4);  // Its row is held without the trainer config...
  EXPECT_EQ(curves_.GpuNeedOf("s1/t001"), 1);  // ...but with its resources; 0 GPUs takes a slot.
  EXPECT_FALSE(curves_.GpuNeedOf("s1/nope").has_value());
  EXPECT_EQ(testing::InCurves(curves_, "s1/t000").trial.config().total_steps(), 0);
}

// Synchronous milestones: a lease runs until the trial's next milestone, and a trial that
// stops running there raises a recheck of its group (it may have been the last to hold it).
TEST(TrialCurvesSyncTest, LeasesRunToTheNextMilestoneAndAWaitingRowRechecksTheGroup) {
  FakeClock clock;
  MemoryStore store{clock};
  StoreSweep(store, "s1",
             {.trials = 2,
              .kind = v1::POLICY_KIND_MEDIAN,
              .milestones = {0.2, 0.5},
              .asynchronous = false});
  std::vector<CurveEvent> events;
  TrialCurves curves{&store, &clock, [&](CurveEvent e) { events.push_back(e); }};
  curves.EnsureLoaded("s1");
  ASSERT_TRUE(curves.Policy("s1")->synchronous);
  const LeaseGrant g = Lease(store, "w1");
  EXPECT_DOUBLE_EQ(curves.Granted(g.trial, g.lease.fencing_token()), 0.2);
  curves.TakeArrived(Batch(g, 1, 21), clock.Now());  // Stopped at 0.205.
  events.clear();
  auto waiting = store.EndLease(g.trial.trial_id(), g.lease.fencing_token(),
                                v1::TRIAL_STATE_WAITING, "waiting at milestone 0.2");
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  curves.Update(std::span<const v1::Trial>(&*waiting, 1));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kRecheck);
  EXPECT_EQ(events[0].group_key, CollapseGroupKey(g.trial.controls()));
  // Released (by its group's CONTINUE) and leased again: on to the next milestone, then to the
  // end. A release raises nothing: a decision made it.
  events.clear();
  auto released = store.TransitionTrial(g.trial.trial_id(), v1::TRIAL_STATE_WAITING,
                                        v1::TRIAL_STATE_PENDING, "");
  ASSERT_TRUE(released.ok());
  curves.Update(std::span<const v1::Trial>(&*released, 1));
  EXPECT_TRUE(events.empty());
  const LeaseGrant again = Lease(store, "w1");
  ASSERT_EQ(again.trial.trial_id(), g.trial.trial_id());
  EXPECT_DOUBLE_EQ(curves.Granted(again.trial, again.lease.fencing_token()), 0.5);
  curves.TakeArrived(Batch(again, 22, 51), clock.Now());
  EXPECT_DOUBLE_EQ(curves.Granted(again.trial, again.lease.fencing_token()), 0);
}

}  // namespace
}  // namespace augur
